"""rasa_boot_tracker.py's speed-ups (incremental dialogue states, the in-memory tracker store
keeping events), each checked against stock Rasa in Rasa's environment."""

from __future__ import annotations

from bot.rasa_runtime.server import RASA_BOOT
from bot.settings import get_settings
from tests.integration.rasa.rasa_helpers import run_in_rasa

# Runs in the real Rasa environment on the assistant's domain: for every prefix of a
# conversation with a form (started, interrupted, resumed, finished), rule-only turns, a rewind,
# a restart and a second session, the incremental states equal Rasa's own function under every
# combination of options; changing the returned states in place changes nothing later; a
# conversation that branches off another one (a copy with different events) is answered right.
STATES_CHECK = """
import json, runpy, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, ActionReverted, Restarted,
    SessionStarted, SlotSet, UserUttered, UserUtteranceReverted, LoopInterrupted,
    DefinePrevUserUtteredFeaturization, FollowupAction)
from rasa.shared.core.trackers import DialogueStateTracker
domain = Domain.load(sys.argv[2])
stock = Domain.states_for_tracker_history
tracker_speedups = runpy.run_path(sys.argv[1], run_name="calmdesk_boot")["load_sibling"](
    "rasa_boot_tracker")
tracker_speedups.install_incremental_states()
fast = Domain.states_for_tracker_history
def user(text, intent, entities=()):
    return UserUttered(text, {"name": intent, "confidence": 0.9},
                       [{"entity": e, "value": v, "start": 0, "end": 1} for e, v in entities])
def act(name, hide=False):
    return ActionExecuted(name, hide_rule_turn=hide)
events = [
    act("action_session_start"), SessionStarted(), act("action_listen"),
    user("hi", "greet"), DefinePrevUserUtteredFeaturization(False), act("utter_greet"),
    act("action_listen"),
    user("where is 1042", "track_order", [("order_id", "1042")]),
    DefinePrevUserUtteredFeaturization(False), act("order_form"), ActiveLoop("order_form"),
    SlotSet("order_id", "1042"), SlotSet("requested_slot", "email"), act("action_listen"),
    user("are you a bot", "bot_challenge"), act("order_form"),
    LoopInterrupted(True), act("utter_iamabot", hide=True), act("order_form"),
    LoopInterrupted(False), SlotSet("requested_slot", "email"), act("action_listen"),
    user("a@b.co", "inform", [("email", "a@b.co")]), act("order_form"),
    SlotSet("email", "a@b.co"), SlotSet("requested_slot", None), ActiveLoop(None),
    act("action_order_task"), act("action_listen"),
    user("oops", "deny"), act("utter_default"), UserUtteranceReverted(),
    act("action_listen"), user("thanks", "thank"), act("utter_welcome"), ActionReverted(),
    FollowupAction("utter_goodbye"), act("utter_goodbye"), act("action_listen"),
    Restarted(), act("action_session_start"), SessionStarted(), act("action_listen"),
    user("hello again", "greet"), act("utter_greet"), act("action_listen"),
]
options = [
    dict(), dict(omit_unset_slots=True),
    dict(ignore_rule_only_turns=True, rule_only_data={"slots": ["requested_slot"],
                                                       "loops": ["order_form"]}),
    dict(ignore_rule_only_turns=True, rule_only_data={"slots": [], "loops": []}),
]
def sharing(states):  # which sub-states are one object (a caller changing one changes both)
    subs = [(i, kind, id(sub)) for i, state in enumerate(states) for kind, sub in state.items()]
    return sorted((a[:2], b[:2]) for a in subs for b in subs if a < b and a[2] == b[2])
checked, mismatches = 0, []
tracker = DialogueStateTracker("s1", domain.slots)
for event in events:
    tracker.update(event)
    for option in options:
        got = fast(domain, tracker, **option)
        expected = stock(domain, tracker, **option)
        if got != expected or sharing(got) != sharing(expected):
            mismatches.append([len(tracker.events), str(option)])
        for state in got:  # what a caller may do to its list (the featurizer does)
            for sub in state.values():
                if isinstance(sub, dict):
                    sub.clear()
        checked += 1
# A copy that shares the first events, then goes another way, asked alternately.
branch = DialogueStateTracker("s1", domain.slots)
for event in events[:12]:
    branch.update(event)
branch.update(act("action_listen"))
branch.update(user("cancel it", "cancel_order"))
for one in (branch, tracker, branch):
    for option in options:
        if fast(domain, one, **option) != stock(domain, one, **option):
            mismatches.append(["branch", str(option)])
        checked += 1
print(json.dumps({"checked": checked, "mismatches": mismatches,
                  "cached": len(domain.__dict__.get("_calmdesk_states", {}))}))
"""


def test_rasa_boot_incremental_states_match_stock() -> None:
    domain = get_settings().path(get_settings().rasa_project_dir) / "domain.yml"
    report = run_in_rasa(STATES_CHECK, str(RASA_BOOT), str(domain))
    assert report["checked"] >= 4 * 40
    assert report["mismatches"] == []
    assert report["cached"] >= 4  # one run per set of options was kept


# Runs in the real Rasa environment: trackers saved in the in-memory store with the boot come
# back with the same events and state as from stock Rasa's JSON store (the last session by
# default, every session when asked), built from the saved event objects themselves.
STORE_CHECK = """
import asyncio, json, runpy, sys
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, SessionStarted, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
domain = Domain.load(sys.argv[2])
def conversation():
    tracker = DialogueStateTracker("c1", domain.slots)
    for event in [ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen"),
                  UserUttered("1042", {"name": "track_order", "confidence": 0.8},
                              [{"entity": "order_id", "value": "1042"}]),
                  SlotSet("order_id", "1042"), ActionExecuted("utter_greet"),
                  ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen")]:
        event.timestamp = 1700000000.5 + len(tracker.events)  # the same in both stores
        tracker.update(event)
    return tracker
async def states(store, tracker):
    await store.save(tracker)
    last = await store.retrieve("c1")
    full = await store.retrieve_full_tracker("c1")
    keys = list(await store.keys())
    return [t.current_state(EventVerbosity.ALL) for t in (last, full)], full, keys
async def main():
    stock_states, _, stock_keys = await states(InMemoryTrackerStore(domain), conversation())
    runpy.run_path(sys.argv[1], run_name="calmdesk_boot")["load_sibling"](
        "rasa_boot_tracker").install_in_memory_events()
    tracker = conversation()
    boot_states, full, boot_keys = await states(InMemoryTrackerStore(domain), tracker)
    shared = all(a is b for a, b in zip(full.events, tracker.events))
    print(json.dumps({"same": boot_states == stock_states, "shared": shared,
                      "keys": [stock_keys, boot_keys],
                      "sessions": [len(s["events"]) for s in boot_states]}))
asyncio.run(main())
"""


def test_rasa_boot_in_memory_store_keeps_the_events() -> None:
    domain = get_settings().path(get_settings().rasa_project_dir) / "domain.yml"
    report = run_in_rasa(STORE_CHECK, str(RASA_BOOT), str(domain))
    assert report["same"] is True
    assert report["shared"] is True
    assert report["keys"] == [["c1"], ["c1"]]
    # The last session by default (3 events), every event of both sessions when asked (9).
    assert report["sessions"] == [3, 9]
