"""The separate Rasa environment: where its programs are and how to call them.

Rasa 3.6 runs from its own virtual environment (Python 3.10, ``settings.rasa_venv``) and is
only ever started as a subprocess; this module never imports it.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from bot.rasa_runtime.errors import RasaNotInstalledError
from bot.settings import Settings

# Variables from our own (.venv, Python 3.11) environment that would break Rasa's interpreter.
_FOREIGN_PYTHON_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")

# Quiet, private defaults for every Rasa subprocess (callers' environment wins).
_RASA_DEFAULTS = {
    "RASA_TELEMETRY_ENABLED": "false",  # no usage telemetry
    "TF_CPP_MIN_LOG_LEVEL": "2",  # TensorFlow: errors only
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",  # Rasa pins SQLAlchemy 1.4
    "PYTHONUNBUFFERED": "1",  # log lines appear as they happen
}


def rasa_venv_dir(settings: Settings) -> Path:
    """Return the absolute path of the Rasa virtual environment."""
    return settings.path(settings.rasa_venv)


def rasa_executable(settings: Settings) -> Path:
    """Return the ``rasa`` program inside ``settings.rasa_venv``.

    Args:
        settings: calmdesk settings.

    Returns:
        Absolute path of the ``rasa`` console script.

    Raises:
        RasaNotInstalledError: The environment or the program does not exist.
    """
    venv = rasa_venv_dir(settings)
    executable = venv / "bin" / "rasa"
    if not executable.is_file() or not os.access(executable, os.X_OK):
        raise RasaNotInstalledError(
            f"Rasa is not installed: {executable} not found. Run `make install` to create "
            f"the Rasa environment ({venv}, Python 3.10, rasa==3.6.21)."
        )
    return executable


def rasa_python(settings: Settings) -> Path:
    """Return the Python interpreter of the Rasa environment.

    Raises:
        RasaNotInstalledError: The environment does not exist.
    """
    python = rasa_executable(settings).parent / "python"
    if not python.exists():
        raise RasaNotInstalledError(f"{python} not found. Run `make install`.")
    return python


def rasa_version(settings: Settings) -> str:
    """Return the installed Rasa version, read from its package metadata.

    The ``*.dist-info`` metadata is read directly (fast); if it cannot be found, the Rasa
    interpreter is asked through ``importlib.metadata`` (still without importing Rasa).

    Raises:
        RasaNotInstalledError: Rasa is not installed in ``settings.rasa_venv``.
    """
    venv = rasa_venv_dir(settings)
    for metadata in sorted(venv.glob("lib/python*/site-packages/rasa-*.dist-info/METADATA")):
        match = re.search(r"^Version:\s*(\S+)", metadata.read_text("utf-8"), re.MULTILINE)
        if match:
            return match.group(1)
    python = rasa_python(settings)
    result = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('rasa'))"],
        capture_output=True,
        text=True,
        check=False,
        env=rasa_subprocess_env(venv=venv),
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise RasaNotInstalledError(
            f"rasa is not installed in {venv}: {result.stderr.strip()}. Run `make install`."
        )
    return result.stdout.strip()


def rasa_subprocess_env(
    base: Mapping[str, str] | None = None, *, venv: Path | None = None
) -> dict[str, str]:
    """Return an environment suitable for a Rasa subprocess.

    Starts from ``base`` (default: ``os.environ``), drops variables that point Python at our
    own interpreter's packages, and adds quiet defaults (telemetry off, TensorFlow and
    SQLAlchemy warnings down) unless they are already set.

    Args:
        base: Environment to start from.
        venv: The Rasa environment. A package in it (webexteamssdk, through versioneer)
            runs ``git describe`` in its own folder at import; when the environment sits
            inside our checkout, ``GIT_CEILING_DIRECTORIES`` keeps git from finding our
            repository (and printing ``fatal: bad revision 'HEAD'``).

    Returns:
        A new dictionary.
    """
    env = dict(os.environ if base is None else base)
    for name in _FOREIGN_PYTHON_VARS:
        env.pop(name, None)
    for name, value in _RASA_DEFAULTS.items():
        env.setdefault(name, value)
    if venv is not None:
        env.setdefault("GIT_CEILING_DIRECTORIES", str(venv))
    return env
