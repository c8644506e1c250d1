"""rasa_boot.py's speed-ups and trace, each checked against stock Rasa in Rasa's environment.

Every check runs a script with the Rasa environment's Python (calmdesk never imports Rasa) and
compares stock behaviour with the patched one.
"""

from __future__ import annotations

import json

import pytest

from bot.rasa_runtime import RasaNotInstalledError, rasa_python, train_core
from bot.rasa_runtime.boot_bench import run_boot_check
from bot.rasa_runtime.server import RASA_BOOT
from bot.settings import get_settings
from tests.integration.rasa.rasa_helpers import run_in_rasa

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
    boot["load_sibling"]("rasa_boot_gateway").install_parse_from_metadata()
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
