"""bot.rasa_runtime without a real Rasa: a stand-in ``rasa`` program in a fake environment.

These run in well under a second each, so they are not marked ``integration``.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.rasa_runtime import (
    ENDPOINT_ENV_VARS,
    RasaNotInstalledError,
    RasaNotReadyError,
    RasaTrainingError,
    assistant_fingerprint,
    core_model_is_current,
    rasa_endpoint_env,
    rasa_executable,
    rasa_python,
    rasa_run_command,
    rasa_tracker_store_url,
    read_fingerprint,
    train_core,
    wait_for_rasa,
)
from bot.rasa_runtime.boot_bench import BOOT_CHECK
from bot.rasa_runtime.server import RASA_BOOT
from bot.settings import PROJECT_ROOT, Settings

ASSISTANT = PROJECT_ROOT / "bot" / "assistant"

# Stand-in for `rasa train core`: writes <out>/<fixed-model-name>.tar.gz and counts its runs;
# fails when the FAKE_RASA_FAIL variable is set.
FAKE_RASA = textwrap.dedent(
    """\
    #!{python}
    import os, pathlib, sys
    args = sys.argv[1:]
    with open(pathlib.Path(__file__).with_name("calls.txt"), "a") as calls:
        calls.write(" ".join(args) + "\\n")
    if os.environ.get("FAKE_RASA_FAIL"):
        print("Training failed: broken domain", flush=True)
        sys.exit(1)
    out = pathlib.Path(args[args.index("--out") + 1])
    name = args[args.index("--fixed-model-name") + 1]
    (out / (name + ".tar.gz")).write_bytes(b"model " + os.urandom(8))
    print("Your Rasa model is trained and saved at", out, flush=True)
    """
)


def make_fake_venv(root: Path, version: str = "3.6.21") -> Path:
    """Create a directory that looks like the Rasa environment to bot.rasa_runtime."""
    venv = root / "venv"
    (venv / "bin").mkdir(parents=True)
    rasa = venv / "bin" / "rasa"
    rasa.write_text(FAKE_RASA.format(python=sys.executable))
    rasa.chmod(rasa.stat().st_mode | stat.S_IXUSR)
    (venv / "bin" / "python").symlink_to(sys.executable)
    dist_info = venv / "lib" / "python3.10" / "site-packages" / f"rasa-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: rasa\nVersion: {version}\n")
    return venv


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a copy of the assistant, a fake Rasa environment and a temporary model dir."""
    assistant = tmp_path / "assistant"
    shutil.copytree(ASSISTANT, assistant)
    return Settings(
        rasa_project_dir=assistant,
        rasa_venv=make_fake_venv(tmp_path),
        model_dir=tmp_path / "models",
        var_dir=tmp_path / "var",
    )


def calls(settings: Settings) -> list[str]:
    """Return the command lines the fake rasa program has run."""
    log = Path(settings.rasa_venv) / "bin" / "calls.txt"
    return log.read_text().splitlines() if log.exists() else []


def test_missing_environment_says_to_run_make_install(tmp_path: Path) -> None:
    """A missing Rasa environment is a clear, typed error."""
    settings = Settings(rasa_venv=tmp_path / "nowhere")
    with pytest.raises(RasaNotInstalledError, match="make install"):
        rasa_executable(settings)


def test_fingerprint_follows_training_files_only(settings: Settings) -> None:
    """Domain, data and config change the fingerprint; endpoints and credentials do not."""
    project = Path(settings.rasa_project_dir)
    before = assistant_fingerprint(settings)
    assert assistant_fingerprint(settings) == before

    for runtime_file in ("endpoints.yml", "credentials.yml"):
        (project / runtime_file).write_text("# changed\n", "utf-8")
    assert assistant_fingerprint(settings) == before

    rules = project / "data" / "rules.yml"
    rules.write_text(rules.read_text("utf-8") + "\n# a comment is a change too\n", "utf-8")
    assert assistant_fingerprint(settings) != before


def test_fingerprint_includes_rasa_version(tmp_path: Path, settings: Settings) -> None:
    """Upgrading Rasa retrains the model."""
    other = settings.model_copy(update={"rasa_venv": make_fake_venv(tmp_path / "v2", "3.6.22")})
    assert assistant_fingerprint(other) != assistant_fingerprint(settings)


def test_train_core_trains_once_then_only_on_change(settings: Settings) -> None:
    """The model is rebuilt when the assistant changes or when forced, not otherwise."""
    lines: list[str] = []
    model = train_core(settings, progress=lines.append)

    assert model == Path(settings.model_dir) / "rasa" / "calmdesk-core.tar.gz"
    assert model.is_file()
    assert len(calls(settings)) == 1
    assert calls(settings)[0].startswith("train core --config ")
    assert any("trained and saved" in line for line in lines)
    stored = read_fingerprint(settings)
    assert stored is not None
    assert stored["fingerprint"] == assistant_fingerprint(settings)
    assert stored["rasa_version"] == "3.6.21"
    assert core_model_is_current(settings)

    assert train_core(settings) == model
    assert len(calls(settings)) == 1

    domain = Path(settings.rasa_project_dir) / "domain.yml"
    domain.write_text(domain.read_text("utf-8") + "\n# edited\n", "utf-8")
    assert not core_model_is_current(settings)
    train_core(settings)
    assert len(calls(settings)) == 2

    train_core(settings, force=True)
    assert len(calls(settings)) == 3
    assert not list(model.parent.glob(".train-*")), "temporary training folders left behind"


def test_failed_training_keeps_previous_model(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing `rasa train core` raises with Rasa's output and leaves the old model alone."""
    model = train_core(settings)
    old = model.read_bytes()
    monkeypatch.setenv("FAKE_RASA_FAIL", "1")

    with pytest.raises(RasaTrainingError, match="broken domain"):
        train_core(settings, force=True)
    assert model.read_bytes() == old


def test_run_command_binds_loopback_and_sets_every_endpoint_variable(settings: Settings) -> None:
    """`rasa run` gets the model, endpoints, credentials, API and all variables it needs."""
    model = Path("/models/rasa/calmdesk-core.tar.gz")
    argv, env = rasa_run_command(
        settings, model, 5905, "http://127.0.0.1:5906/", environ={"PYTHONPATH": "/ours", "A": "b"}
    )

    assert argv[:3] == [str(rasa_python(settings)), str(RASA_BOOT), "run"]
    flags = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert flags["--model"] == str(model)
    assert flags["--interface"] == "127.0.0.1"
    assert flags["--port"] == "5905"
    assert Path(flags["--endpoints"]).name == "endpoints.yml"
    assert Path(flags["--credentials"]).name == "credentials.yml"
    assert "--enable-api" in argv
    assert "--cors" not in argv
    assert set(ENDPOINT_ENV_VARS) <= set(env)
    assert env["CALMDESK_NLU_URL"] == "http://127.0.0.1:5906"
    assert env["CALMDESK_ACTIONS_URL"] == "http://127.0.0.1:5055/webhook"
    assert env["CALMDESK_RASA_TRACKER_STORE"] == "rasa.core.tracker_store.InMemoryTrackerStore"
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["A"] == "b"
    assert "PYTHONPATH" not in env

    argv, _ = rasa_run_command(settings, model, 1, "http://x", enable_api=False)
    assert "--enable-api" not in argv

    stock = settings.model_copy(update={"rasa_speedups": False})
    argv, _ = rasa_run_command(stock, model, 1, "http://x")
    assert argv[:2] == [str(rasa_executable(settings)), "run"]

    # The boot's state check follows the setting, whatever the parent's environment says.
    verifying = settings.model_copy(update={"rasa_verify_states": True})
    quiet = settings.model_copy(update={"rasa_verify_states": False})
    loud = {"CALMDESK_RASA_VERIFY_STATES": "true"}
    _, env = rasa_run_command(verifying, model, 1, "http://x", environ={})
    assert env["CALMDESK_RASA_VERIFY_STATES"] == "true"
    _, env = rasa_run_command(quiet, model, 1, "http://x", environ=loud)
    assert env["CALMDESK_RASA_VERIFY_STATES"] == "false"


def test_endpoints_yml_reads_exactly_our_variables() -> None:
    """Every ${VAR} in endpoints.yml is one rasa_endpoint_env sets, and vice versa."""
    text = "\n".join(
        line
        for line in (ASSISTANT / "endpoints.yml").read_text("utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(ENDPOINT_ENV_VARS)


def test_production_mode_uses_the_sql_tracker_store(settings: Settings) -> None:
    """Production with a database URL stores trackers in SQL; explicit variables win."""
    production = settings.model_copy(
        update={"mode": "production", "database_url": "postgresql+psycopg://u:p@db:5432/app"}
    )
    env = rasa_endpoint_env(production, "http://nlu:5006", environ={})
    assert env["CALMDESK_RASA_TRACKER_STORE"] == "SQL"
    assert env["CALMDESK_RASA_TRACKER_STORE_URL"] == "postgresql://u:p@db:5432/app"

    override = {"CALMDESK_RASA_TRACKER_STORE_URL": "postgresql://u:p@db:5432/rasa"}
    env = rasa_endpoint_env(production, "http://nlu:5006", environ=override)
    assert env["CALMDESK_RASA_TRACKER_STORE_URL"] == "postgresql://u:p@db:5432/rasa"

    embedded = rasa_endpoint_env(settings, "http://nlu:5006", environ={})
    assert embedded["CALMDESK_RASA_TRACKER_STORE_URL"] == ""
    assert embedded["CALMDESK_RASA_LOCK_STORE"] == "in_memory"


@pytest.mark.parametrize(
    ("app_url", "rasa_url"),
    [
        ("postgresql+psycopg://u:p@h/db", "postgresql://u:p@h/db"),
        ("postgres://u@h:5432/db", "postgresql://u@h:5432/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("sqlite+pysqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_tracker_store_url_suits_rasa_sqlalchemy(app_url: str, rasa_url: str) -> None:
    """Driver suffixes and the `postgres` alias are dropped for SQLAlchemy 1.4."""
    assert rasa_tracker_store_url(app_url) == rasa_url


class _FakeRasa(BaseHTTPRequestHandler):
    """Answers /status with 409 for the first two calls, then 200 (or 404 without API)."""

    status_calls = 0
    api = True

    def do_GET(self) -> None:
        cls = type(self)
        if self.path.startswith("/status"):
            cls.status_calls += 1
            if not cls.api:
                self._reply(404, "not found")
            elif cls.status_calls <= 2:
                self._reply(409, json.dumps({"message": "No agent loaded."}))
            else:
                self._reply(200, json.dumps({"model_id": "abc", "model_file": "m.tar.gz"}))
        else:
            self._reply(200, "Hello from Rasa: 3.6.21")

    def _reply(self, code: int, body: str) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def fake_rasa_url() -> Iterator[str]:
    """A loopback HTTP server imitating Rasa's readiness endpoints."""
    _FakeRasa.status_calls = 0
    _FakeRasa.api = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_wait_for_rasa_waits_for_a_loaded_model(fake_rasa_url: str) -> None:
    """409 (no model yet) is retried until /status reports a model."""
    status = wait_for_rasa(fake_rasa_url, timeout=10, interval=0.01)
    assert status["model_id"] == "abc"
    assert _FakeRasa.status_calls == 3


def test_wait_for_rasa_without_http_api_uses_root(fake_rasa_url: str) -> None:
    """Without --enable-api, an answer on / means the model is loaded."""
    _FakeRasa.api = False
    assert wait_for_rasa(fake_rasa_url, timeout=10, interval=0.01) == {
        "version": "Hello from Rasa: 3.6.21"
    }


def test_wait_for_rasa_times_out_and_stops_when_process_died() -> None:
    """Nobody listening: a typed error after the timeout, or at once if the process is gone."""
    with pytest.raises(RasaNotReadyError, match="no loaded model"):
        wait_for_rasa("http://127.0.0.1:9", timeout=0.3, interval=0.05)
    with pytest.raises(RasaNotReadyError, match="exited"):
        wait_for_rasa("http://127.0.0.1:9", timeout=30, is_alive=lambda: False)


def test_no_rasa_import_in_our_code() -> None:
    """Our code starts Rasa as a program and never imports it.

    The exceptions are the boot script, the modules it loads and its check, which run inside
    Rasa's own interpreter.
    """
    rasa_import = re.compile(r"^\s*(import|from)\s+rasa(\.|\s|$)", re.MULTILINE)
    for path in [
        *(PROJECT_ROOT / "bot" / "rasa_runtime").glob("*.py"),
        PROJECT_ROOT / "bot" / "process.py",
    ]:
        siblings = [
            RASA_BOOT.with_name(f"{n}.py") for n in ("rasa_boot_tracker", "rasa_boot_gateway")
        ]
        if path in (RASA_BOOT, *siblings, BOOT_CHECK):
            continue
        assert not rasa_import.search(path.read_text("utf-8")), path
