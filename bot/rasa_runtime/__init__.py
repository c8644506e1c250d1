"""Train and run the Rasa 3.6 dialogue manager from our Python 3.11 code.

Rasa lives in its own environment (``settings.rasa_venv``) and is only ever started as a
subprocess; nothing here imports it.
"""

from bot.rasa_runtime.environment import (
    rasa_executable,
    rasa_python,
    rasa_subprocess_env,
    rasa_venv_dir,
    rasa_version,
)
from bot.rasa_runtime.errors import (
    RasaNotInstalledError,
    RasaNotReadyError,
    RasaRuntimeError,
    RasaTrainingError,
)
from bot.rasa_runtime.server import (
    ENDPOINT_ENV_VARS,
    rasa_endpoint_env,
    rasa_process,
    rasa_run_command,
    rasa_tracker_store_url,
    rasa_url,
    wait_for_rasa,
)
from bot.rasa_runtime.training import (
    assistant_fingerprint,
    assistant_training_files,
    core_model_is_current,
    core_model_path,
    rasa_model_dir,
    read_fingerprint,
    train_core,
)

__all__ = [
    "ENDPOINT_ENV_VARS",
    "RasaNotInstalledError",
    "RasaNotReadyError",
    "RasaRuntimeError",
    "RasaTrainingError",
    "assistant_fingerprint",
    "assistant_training_files",
    "core_model_is_current",
    "core_model_path",
    "rasa_endpoint_env",
    "rasa_executable",
    "rasa_model_dir",
    "rasa_process",
    "rasa_python",
    "rasa_run_command",
    "rasa_subprocess_env",
    "rasa_tracker_store_url",
    "rasa_url",
    "rasa_venv_dir",
    "rasa_version",
    "read_fingerprint",
    "train_core",
    "wait_for_rasa",
]
