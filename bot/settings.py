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
    nlu_holdout_dir: Path = Path("nlu_holdout")  # fresh test set: never trained or tuned on
    shared_data_dir: Path = Path("../shared/data")
    reports_dir: Path = Path("reports")
    rasa_project_dir: Path = Path("bot/assistant")
    rasa_venv: Path = Path(".venv-rasa")
    # Start Rasa through bot/rasa_runtime/rasa_boot.py with its speed-ups (compiled action-response
    # schema, event types from a dict, keep-alive to the action server); false runs plain rasa.
    rasa_speedups: bool = True
    # With the speed-ups: compare every incremental dialogue-state answer with Rasa's own
    # function and raise on a difference (twice the featurization cost; the tests turn it on).
    rasa_verify_states: bool = False

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
    # Batches the NLU model may run at once (threads; ONNX Runtime releases the GIL).
    nlu_model_workers: int = Field(2, ge=1)
    nlu_token: str = ""  # when set, /model/parse requires ?token= or {"token": ...}
    torch_threads: int = Field(1, ge=0)  # 0: torch default (one per core)
    nlu_backend: Literal["onnx", "torch"] = "onnx"  # onnx: ONNX Runtime, no torch at serving
    nlu_quantize: bool = False  # int8 dynamic quantization of the encoder's linear layers

    # Gateway (bot/gateway; see the README's "Gateway" section).
    gateway_rasa_url: str = ""  # empty: http://127.0.0.1:{rasa_port}
    gateway_actions_url: str = ""  # health probe of the action server; empty: 127.0.0.1:{port}
    gateway_allowed_origins: str = "http://localhost:8000,http://127.0.0.1:8000"  # comma list; *
    gateway_secret_key: str = ""  # widget-token key; empty: generated once under var_dir
    gateway_backend_key: str = ""  # X-Calmdesk-Backend-Key that may assert metadata.customer_id
    gateway_require_widget_token: bool = False  # socket.io sessions must present a widget token
    gateway_widget_token_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    gateway_agent_token_ttl_s: int = Field(12 * 3600, ge=60)
    gateway_max_body_bytes: int = Field(64 * 1024, ge=1024)
    gateway_max_text_chars: int = Field(5000, ge=1)
    gateway_rate_sender_per_s: float = Field(2.0, gt=0)  # token bucket refill per sender
    gateway_rate_sender_burst: int = Field(20, ge=1)
    gateway_rate_ip_per_s: float = Field(50.0, gt=0)  # per client IP
    gateway_rate_ip_burst: int = Field(200, ge=1)
    gateway_rate_exempt_loopback: bool = True  # no per-IP limit for 127.0.0.1 / ::1
    gateway_nlu_timeout_s: float = Field(1.0, gt=0)
    gateway_rasa_timeout_s: float = Field(2.2, gt=0)
    gateway_reply_deadline_s: float = Field(2.8, gt=0)  # the customer always has a reply by then
    gateway_rasa_late_timeout_s: float = Field(30.0, gt=0)  # late answers still delivered
    # Send the gateway's parse to Rasa in the message metadata (``calmdesk_parse``), which
    # Rasa started through rasa_boot.py uses instead of calling its NLU endpoint (the relay).
    gateway_parse_in_metadata: bool = True
    # Ask Rasa (through rasa_boot.py) which actions ran and which policies chose them.
    gateway_rasa_trace: bool = True
    gateway_write_interval_s: float = Field(0.05, ge=0)  # case-log writer batching window
    gateway_socket_ping_interval_s: float = Field(25.0, gt=0)  # socket.io heartbeat

    # Circuit breaker (bot/breaker; see the README's "Circuit breaker" section).
    breaker_enabled: bool = True  # the gateway runs the breaker; False: no escalation
    breaker_policy: str = ""  # escalation policy YAML; empty: escalation/default_policy.yml
    # The gateway's breaker commits its bookkeeping (states, decisions, events) in batches
    # gathered over this window (the remedy ledger is always written at once).
    breaker_write_interval_s: float = Field(0.2, ge=0, le=5)

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
    def gateway_rasa_base_url(self) -> str:
        """Where the gateway reaches Rasa's REST channel and HTTP API (no trailing slash)."""
        return (self.gateway_rasa_url or f"http://127.0.0.1:{self.rasa_port}").rstrip("/")

    @property
    def gateway_actions_base_url(self) -> str:
        """Where the gateway checks the action server's health (no trailing slash)."""
        return (self.gateway_actions_url or f"http://127.0.0.1:{self.actions_port}").rstrip("/")

    @property
    def gateway_origins(self) -> list[str]:
        """The origin allowlist for CORS and the socket.io handshake."""
        return [o.strip() for o in self.gateway_allowed_origins.split(",") if o.strip()]

    @property
    def nlu_model_dir(self) -> Path:
        """Where the trained NLU artefacts live."""
        return self.path(self.model_dir) / "nlu"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first call."""
    return Settings()
