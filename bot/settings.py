"""All calmdesk settings, in one pydantic-settings class (environment prefix ``CALMDESK_``).

Nothing here reads the environment at import time: call :func:`get_settings`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings for every calmdesk process; each field maps to ``CALMDESK_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CALMDESK_", env_file=None, extra="ignore")

    mode: Literal["embedded", "production"] = "embedded"
    log_level: str = "INFO"

    # Paths (relative paths are resolved against the project root).
    var_dir: Path = Path("var")
    model_dir: Path = Path("models")
    nlu_data_dir: Path = Path("nlu_data")
    shared_data_dir: Path = Path("../shared/data")
    reports_dir: Path = Path("reports")
    rasa_project_dir: Path = Path("bot/assistant")
    rasa_venv: Path = Path(".venv-rasa")

    # Stores.
    database_url: str = ""  # empty: SQLite file under var_dir
    redis_url: str = ""

    # Network.
    host: str = "127.0.0.1"
    nlu_port: int = 5006
    gateway_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    # Where other processes reach the NLU service; empty: http://127.0.0.1:{nlu_port}.
    nlu_url: str = ""

    # NLU service.
    nlu_max_text_chars: int = Field(10_000, ge=1)
    nlu_max_body_bytes: int = Field(64 * 1024, ge=1024)
    nlu_max_batch: int = Field(64, ge=1)
    nlu_cache_size: int = Field(4096, ge=0)
    nlu_token: str = ""  # when set, /model/parse requires ?token= or {"token": ...}
    torch_threads: int = Field(1, ge=0)  # 0: torch default (one per core)
    nlu_quantize: bool = False  # int8 dynamic quantization of the encoder's linear layers

    def path(self, value: Path) -> Path:
        """Resolve a configured path against the project root."""
        return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The app database URL; an SQLite file under ``var_dir`` when none is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.path(self.var_dir) / 'calmdesk.db'}"

    @property
    def nlu_base_url(self) -> str:
        """The NLU service's base URL (no trailing slash), for actions and the gateway."""
        return (self.nlu_url or f"http://127.0.0.1:{self.nlu_port}").rstrip("/")

    @property
    def nlu_model_dir(self) -> Path:
        """Where the trained NLU artefacts live."""
        return self.path(self.model_dir) / "nlu"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first call."""
    return Settings()
