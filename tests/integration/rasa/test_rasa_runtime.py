"""bot.rasa_runtime without a real Rasa: a stand-in ``rasa`` program in a fake environment.

These run in well under a second each, so they are not marked ``integration``.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
from bot.rasa_runtime.boot_bench import BOOT_CHECK, run_boot_check
from bot.rasa_runtime.server import RASA_BOOT
from bot.settings import PROJECT_ROOT, Settings, get_settings

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

    The exceptions are the boot script and its check, which run inside Rasa's own interpreter.
    """
    rasa_import = re.compile(r"^\s*(import|from)\s+rasa(\.|\s|$)", re.MULTILINE)
    for path in [
        *(PROJECT_ROOT / "bot" / "rasa_runtime").glob("*.py"),
        PROJECT_ROOT / "bot" / "process.py",
    ]:
        if path in (RASA_BOOT, BOOT_CHECK):
            continue
        assert not rasa_import.search(path.read_text("utf-8")), path


def run_in_rasa(script: str, *args: str) -> Any:
    """Run ``script`` with the Rasa environment's Python; its last stdout line, as JSON.

    Skips the test when the Rasa environment is missing.
    """
    try:
        python = rasa_python(get_settings())
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    done = subprocess.run(
        [str(python), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# Runs in the real Rasa environment: the compiled validator accepts and rejects exactly what
# Rasa's stock `jsonschema.validate(response, spec)` does, and leaves other schemas alone.
VALIDATOR_CHECK = """
import json, runpy, sys
import jsonschema
from rasa.core.actions.action import RemoteAction
spec = RemoteAction.action_response_format_spec()
cases = [
    {"events": [{"event": "slot", "name": "order_id", "value": "1042"}], "responses": []},
    {"events": [], "responses": [{"text": "hi"}]},
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": "order_id"}], "responses": "not a list"},
]
def outcome(case):
    try:
        jsonschema.validate(case, spec)
        return "ok"
    except jsonschema.ValidationError as error:
        return "invalid:" + error.message
stock = [outcome(case) for case in cases]
runpy.run_path(sys.argv[1], run_name="calmdesk_boot")["install_validator"]()
patched_function = jsonschema.validate.__name__ == "validate" and jsonschema.validate.__module__
compiled = [outcome(case) for case in cases]
try:
    jsonschema.validate(3, {"type": "string"})
    other = "ok"
except jsonschema.ValidationError:
    other = "invalid"
print(json.dumps({"stock": stock, "compiled": compiled, "other": other,
                  "module": patched_function}))
"""


def test_rasa_boot_validator_matches_stock_validation() -> None:
    result = run_in_rasa(VALIDATOR_CHECK, str(RASA_BOOT))
    assert result["compiled"] == result["stock"]
    assert result["stock"][:2] == ["ok", "ok"]
    assert all(value.startswith("invalid:") for value in result["stock"][2:])
    assert result["other"] == "invalid"
    assert result["module"] != "jsonschema.validators"  # the boot's function is installed


# Runs in the real Rasa environment: with the dict lookup installed, Event.resolve_by_type
# answers every known type name, "topic", a default and an unknown name exactly as the stock
# subclass walk does, and a tracker deserialises to the same events.
EVENT_TYPES_CHECK = """
import json, runpy, sys
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.utils.common import all_subclasses
names = sorted({cls.type_name for cls in all_subclasses(Event)})
def answers():
    out = {}
    for name in [*names, "topic", "no_such_event"]:
        try:
            found = Event.resolve_by_type(name)
            out[name] = None if found is None else found.__qualname__
        except ValueError as error:
            out[name] = "ValueError: " + str(error)
    out["default"] = Event.resolve_by_type("no_such_event", UserUttered).__qualname__
    return out
events = [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
          {"event": "action", "name": "utter_greet"}, {"event": "slot", "name": "a", "value": 1},
          {"event": "active_loop", "name": "return_form"}, {"event": "bot", "text": "hello"}]
def parsed():
    out = []
    for e in events:
        event = Event.from_parameters(e)
        fields = {k: v for k, v in event.as_dict().items() if k != "timestamp"}
        out.append([type(event).__qualname__, fields])
    return out
stock, stock_events = answers(), parsed()
runpy.run_path(sys.argv[1], run_name="calmdesk_boot")["install_event_types"]()
patched, patched_events = answers(), parsed()
print(json.dumps({"stock": stock, "patched": patched, "stock_events": stock_events,
                  "patched_events": patched_events, "names": len(names),
                  "installed": Event.resolve_by_type.__module__}))
"""


def test_rasa_boot_event_types_match_the_subclass_walk() -> None:
    result = run_in_rasa(EVENT_TYPES_CHECK, str(RASA_BOOT))
    assert result["names"] > 20
    assert result["patched"] == result["stock"]
    assert result["stock"]["no_such_event"].startswith("ValueError")
    assert result["stock"]["topic"] is None
    assert result["patched_events"] == result["stock_events"]
    assert result["installed"] != "rasa.shared.core.events"  # the boot's function is installed


# Runs in the real Rasa environment against a real HTTP server (aiohttp): with keep-alive
# installed, EndpointConfig.request returns the same JSON, None for non-JSON, raises the same
# ClientResponseError for a 4xx, sends the token parameter and headers, and reuses one
# connection for consecutive calls (stock: one connection per call).
KEEPALIVE_CHECK = """
import asyncio, json, runpy, sys
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
peers = set()
PAYLOAD = {"n": 1, "f": 0.1 + 0.2, "big": 2**53 + 1, "text": "caf\u00e9 / \\"q\\" \\\\ end",
           "nested": [None, True, {"e": 1e-7}], "nan": float("nan")}
async def echo(request):
    peers.add(request.transport.get_extra_info("peername"))
    if request.path == "/bad":
        return web.json_response({"error": "bad"}, status=422)
    if request.path == "/text":
        return web.Response(text="plain")
    body = await request.text()
    return web.json_response({"body": body, "token": request.query.get("token"),
                              "header": request.headers.get("X-Calm")})
async def calls():
    peers.clear()
    endpoint = EndpointConfig(URL, token="s3cret", headers={"X-Calm": "yes"})
    out = []
    for _ in range(3):
        out.append(await endpoint.request(json=PAYLOAD, subpath="/webhook"))
    out.append(await endpoint.request(json={}, subpath="/text"))
    try:
        await endpoint.request(json={}, subpath="/bad")
    except ClientResponseError as error:
        out.append(["ClientResponseError", error.status, error.text.decode()])
    return out, len(peers)
async def main():
    global URL
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    URL = "http://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1]
    stock = await calls()
    runpy.run_path(sys.argv[1], run_name="calmdesk_boot")["install_keepalive"]()
    patched = await calls()
    await runner.cleanup()
    print(json.dumps({"stock": stock[0], "stock_connections": stock[1],
                      "patched": patched[0], "patched_connections": patched[1]}))
asyncio.run(main())
"""


def test_rasa_boot_keepalive_requests_match_stock() -> None:
    result = run_in_rasa(KEEPALIVE_CHECK, str(RASA_BOOT))
    assert result["patched"][3:] == result["stock"][3:]  # non-JSON answer, 4xx error
    stock_body = json.loads(result["stock"][0]["body"])
    patched_body = json.loads(result["patched"][0]["body"])
    assert stock_body["n"] == 1 and stock_body["text"] == 'café / "q" \\ end'
    assert repr(patched_body) == repr(stock_body)  # the same values (NaN included), bit for bit
    assert {k: v for k, v in result["stock"][0].items() if k != "body"} == {
        "token": "s3cret",
        "header": "yes",
    }
    assert result["stock"][3] is None
    assert result["stock"][4][:2] == ["ClientResponseError", 422]
    assert result["stock_connections"] == 5  # stock: a new connection per call
    assert result["patched_connections"] == 1  # keep-alive: one connection for all five


# Runs in the real Rasa environment: the interpreter takes the gateway's parse from the
# metadata (and removes it there), and asks the NLU endpoint for anything else; Domain.is_empty
# answers as stock for an empty and a real domain.
METADATA_CHECK = """
import asyncio, json, runpy, sys
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from rasa.core.http_interpreter import RasaNLUHttpInterpreter
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
asked = []
async def nlu(request):
    body = await request.json()
    asked.append(body["text"])
    return web.json_response({"text": body["text"], "intent": {"name": "from_http",
                              "confidence": 1.0}, "entities": []})
async def main():
    app = web.Application()
    app.router.add_post("/model/parse", nlu)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = "http://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1]
    boot = runpy.run_path(sys.argv[1], run_name="calmdesk_boot")
    domain = Domain.from_yaml("intents: [greet]\\nresponses:\\n  utter_hi: [{text: hi}]")
    stock_empty = [Domain.empty().is_empty(), domain.is_empty()]
    boot["install_parse_from_metadata"]()
    boot["install_domain_is_empty"]()
    patched_empty = [Domain.empty().is_empty(), domain.is_empty(), domain.is_empty()]
    interpreter = RasaNLUHttpInterpreter(EndpointConfig(url))
    given = {"text": "hello", "intent": {"name": "greet", "confidence": 0.9}, "entities": [],
             "affect": {"anger": 0.1}}
    with_parse = UserMessage("hello", metadata={"channel": "rest", "calmdesk_parse": given})
    other_text = UserMessage("bye", metadata={"calmdesk_parse": given})
    plain = UserMessage("plain", metadata=None)
    out = [await interpreter.parse(m) for m in (with_parse, other_text, plain)]
    await interpreter.session.close()
    await runner.cleanup()
    print(json.dumps({"out": out, "asked": asked, "left": with_parse.metadata,
                      "stock_empty": stock_empty, "patched_empty": patched_empty}))
asyncio.run(main())
"""


def test_rasa_boot_takes_the_gateways_parse_from_the_metadata() -> None:
    result = run_in_rasa(METADATA_CHECK, str(RASA_BOOT))
    given, other, plain = result["out"]
    assert given["intent"]["name"] == "greet" and given["affect"] == {"anger": 0.1}
    assert result["left"] == {"channel": "rest"}  # not stored twice in the tracker
    assert other["intent"]["name"] == "from_http"  # a parse of another text is not used
    assert plain["intent"]["name"] == "from_http"
    assert result["asked"] == ["bye", "plain"]
    assert result["stock_empty"] == [True, False]
    assert result["patched_empty"] == [True, False, False]


# Runs in the real Rasa environment: in the two policy modules whose ``copy`` the boot
# replaces, every use of ``copy`` is an argument of a ``structlogger.debug`` call, so
# skipping the deep copy changes nothing but the cost (a newer Rasa with a real use fails).
COPY_USES_CHECK = """
import ast, inspect, json
from rasa.core.policies import memoization, rule_policy
report = {}
for module in (memoization, rule_policy):
    tree = ast.parse(inspect.getsource(module))
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \\
                and node.value.id == "copy":
            up, in_debug_log = node, False
            while up in parents:
                up = parents[up]
                if isinstance(up, ast.Call) and isinstance(up.func, ast.Attribute) \\
                        and up.func.attr == "debug" and isinstance(up.func.value, ast.Name) \\
                        and up.func.value.id == "structlogger":
                    in_debug_log = True
                    break
            uses.append([node.attr, in_debug_log])
    report[module.__name__] = uses
print(json.dumps(report))
"""


def test_rasa_boot_skips_only_deep_copies_made_for_debug_logs() -> None:
    report = run_in_rasa(COPY_USES_CHECK)
    assert set(report) == {"rasa.core.policies.memoization", "rasa.core.policies.rule_policy"}
    uses = [use for module_uses in report.values() for use in module_uses]
    assert len(uses) >= 3
    assert all(use == ["deepcopy", True] for use in uses), report


def test_rasa_boot_plays_the_dialogue_exactly_as_stock_rasa() -> None:
    """The trained dialogue, in-process: the same bot texts and tracker events with and
    without every speed-up (seeded response variants), and less CPU with them."""
    settings = get_settings()
    try:
        rasa_python(settings)
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    model = train_core(settings)
    stock = run_boot_check(settings, model, "stock", 6)
    boot = run_boot_check(settings, model, "boot", 6)
    assert stock["bot_texts"] > 50
    assert boot["digest"] == stock["digest"]
    assert boot["messages"] == stock["messages"] == 6 * 12


# Runs in the real Rasa environment on the trained dialogue: with the boot installed, a message
# asking for the trace gets one more entry (the actions run and the policies that chose them),
# the key is not stored in the tracker, and a message that does not ask gets none.
TRACE_CHECK = """
import asyncio, json, logging, runpy, sys
runpy.run_path(sys.argv[1], run_name="calmdesk_boot")["install"]()
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.utils.log_utils import configure_structlog
configure_structlog(logging.WARNING)
async def main():
    agent = Agent.load(sys.argv[2])
    asked, plain = CollectingOutputChannel(), CollectingOutputChannel()
    wanted = {"calmdesk_trace": True, "channel": "rest"}
    await agent.handle_message(UserMessage("/greet", asked, "t1", metadata=wanted))
    await agent.handle_message(UserMessage("/greet", plain, "t2", metadata={"channel": "rest"}))
    tracker = await agent.tracker_store.retrieve("t1")
    user = [e for e in tracker.events if getattr(e, "type_name", "") == "user"][-1]
    print(json.dumps({"asked": asked.messages, "plain": plain.messages, "stored": user.metadata}))
asyncio.run(main())
"""


def test_rasa_boot_traces_actions_and_policies_when_asked() -> None:
    try:
        model = train_core(get_settings())
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    result = run_in_rasa(TRACE_CHECK, str(RASA_BOOT), str(model))
    *said, last = result["asked"]
    assert said and all("text" in m for m in said)
    trace = last["custom"]["calmdesk_trace"]
    assert trace["actions"] == ["action_session_start", "utter_greet"]  # no action_listen
    assert trace["policies"][0] is None  # the session start is Rasa's, no policy chose it
    assert trace["policies"][1] in {"RulePolicy", "MemoizationPolicy"}
    assert len(result["plain"]) == len(said)  # (utter_greet has random variants)
    assert all("custom" not in m for m in result["plain"])
    assert result["stored"]["channel"] == "rest" and "calmdesk_trace" not in result["stored"]
