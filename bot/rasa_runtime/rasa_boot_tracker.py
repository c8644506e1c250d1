"""Two of rasa_boot's speed-ups, about trackers: states featurized once, trackers kept as events.

Loaded by ``rasa_boot.py`` in the Rasa environment (Python 3.10), never imported by calmdesk.

8. **Incremental dialogue states.** Rasa's policies ask for the states of the *whole* tracker
   (``Domain.states_for_tracker_history``) several times per predicted action: ~5 times per
   message, each replaying every event of the conversation onto a fresh tracker. The state of a
   turn depends only on the events before it, so :func:`install_incremental_states` keeps, per
   conversation and set of options, the replayed tracker and the states computed so far, and
   replays only the events that are new. An event list that does not continue the cached one
   (compared by identity: a rewind, a restart, another tracker) starts over. Callers get copies
   of the states (with the same sharing between them as Rasa's fresh lists), so whatever they
   change in place never reaches the cache. ``CALMDESK_RASA_VERIFY_STATES=true`` compares every
   answer (values, and which sub-states are one object) with Rasa's own function and raises on
   a difference (the tests run with it).
9. **The in-memory tracker store keeps the events.** Rasa's ``InMemoryTrackerStore`` stores each
   tracker as a JSON string and, for every message, parses it and rebuilds every event
   (``Event.from_parameters``). :func:`install_in_memory_events` stores the list of event objects
   instead and rebuilds the tracker from them, as Rasa's own ``tracker.copy()`` does; the events
   are the same, so are the trackers. It also lets (8) recognise the conversation's events from
   one message to the next. Other tracker stores are unchanged.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

#: Conversations whose replayed states are kept (least recently used ones are dropped).
STATE_CACHE_SIZE = 2048
VERIFY_ENV = "CALMDESK_RASA_VERIFY_STATES"


def _frozen(value: Any) -> Any:
    """A hashable, content-based key for ``rule_only_data`` (a small dict of name lists)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_frozen(v) for v in value)
    return value


class StatesRun:
    """The states of one conversation's applied events so far, and the tracker they came from.

    Mirrors ``Domain.states_for_tracker_history`` step by step: each ``ActionExecuted`` event
    commits the state of the tracker *before* it; the state after the last event is computed per
    call and never committed (the next event changes it).
    """

    def __init__(self, domain: Any, tracker: Any, omit: bool, ignore: bool, rule_only: Any):
        self.domain, self.omit, self.ignore, self.rule_only = domain, omit, ignore, rule_only
        self.tracker = tracker.init_copy()
        self.events: list[Any] = []
        self.states: list[Any] = []
        self.last_ml: Any = None
        self.hidden = False

    def continues(self, applied: list[Any]) -> bool:
        """Whether ``applied`` starts with exactly the events already replayed."""
        done = self.events
        if len(done) > len(applied):
            return False
        return all(a is b for a, b in zip(done, applied, strict=False))

    def _state(self, hide: bool, states: list[Any]) -> tuple[Any, Any, bool]:
        """One step of Rasa's loop on the current tracker: (state or None, last_ml, hidden)."""
        from rasa.shared.core.constants import PREVIOUS_ACTION

        domain, tracker = self.domain, self.tracker
        last_ml, hidden = self.last_ml, self.hidden
        if self.ignore:
            if not hidden:
                last_ml = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and (
                tracker.latest_action_name != tracker.active_loop_name
            ):
                hidden = hide
            if hidden:
                return None, last_ml, hidden
        state = domain.get_active_state(tracker, omit_unset_slots=self.omit)
        if self.ignore:
            domain._remove_rule_only_features(state, self.rule_only)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml:
                state[PREVIOUS_ACTION] = last_ml
        return domain._clean_state(state), last_ml, hidden

    def advance(self, applied: list[Any]) -> None:
        """Replay the events of ``applied`` not replayed yet, committing their states."""
        from rasa.shared.core.events import ActionExecuted

        for event in applied[len(self.events) :]:
            if isinstance(event, ActionExecuted):
                state, self.last_ml, self.hidden = self._state(event.hide_rule_turn, self.states)
                if state is not None:
                    self.states.append(state)
            self.tracker.update(event)
            self.events.append(event)

    def result(self) -> list[Any]:
        """Copies of the committed states plus the state after the last event."""
        memo: dict[int, Any] = {}

        def copied(sub: Any) -> Any:
            if not isinstance(sub, dict):
                return sub
            found = memo.get(id(sub))
            if found is None:
                found = memo[id(sub)] = dict(sub)
                memo[id(found)] = found  # a copy met again (shared by the last state) stays one
            return found

        out = [{kind: copied(sub) for kind, sub in state.items()} for state in self.states]
        last, _, _ = self._state(False, out)
        if last is not None:
            out.append({kind: copied(sub) for kind, sub in last.items()})
        return out


def sharing(states: list[Any]) -> list[tuple[Any, Any]]:
    """Which sub-states of a list are one object (a caller changing one changes the other)."""
    subs = [(i, kind, id(sub)) for i, state in enumerate(states) for kind, sub in state.items()]
    return sorted(
        ((a[0], a[1]), (b[0], b[1])) for a in subs for b in subs if a < b and a[2] == b[2]
    )


def install_incremental_states() -> None:
    """``Domain.states_for_tracker_history`` replaying only the events it has not seen."""
    from rasa.shared.core.domain import Domain

    original = Domain.states_for_tracker_history
    verify = os.environ.get(VERIFY_ENV, "").strip().lower() in {"1", "true", "yes"}

    def states_for_tracker_history(
        self: Any,
        tracker: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[Any]:
        runs: OrderedDict[Any, StatesRun] = self.__dict__.setdefault(
            "_calmdesk_states", OrderedDict()
        )
        key = (
            tracker.sender_id,
            tracker.is_rule_tracker,
            bool(omit_unset_slots),
            bool(ignore_rule_only_turns),
            _frozen(rule_only_data),
        )
        applied = tracker.applied_events()
        run = runs.get(key)
        if run is None or not run.continues(applied):
            run = StatesRun(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        run.advance(applied)
        runs[key] = run
        runs.move_to_end(key)
        while len(runs) > STATE_CACHE_SIZE:
            runs.popitem(last=False)
        states = run.result()
        if verify:
            expected = original(
                self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
            if expected != states or sharing(expected) != sharing(states):
                raise AssertionError(
                    f"incremental states differ for {tracker.sender_id!r}: "
                    f"{states!r} != {expected!r} (or share other sub-states)"
                )
        return states

    Domain.states_for_tracker_history = states_for_tracker_history


class StoredEvents(tuple[Any, ...]):
    """A tracker kept by the in-memory tracker store: its events, as objects."""


def install_in_memory_events() -> None:
    """``InMemoryTrackerStore`` keeping each tracker's events instead of a JSON string."""
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    original = InMemoryTrackerStore.deserialise_tracker

    def serialise_tracker(tracker: DialogueStateTracker) -> Any:
        return StoredEvents(tracker.events)

    def deserialise_tracker(self: Any, sender_id: str, serialised: Any) -> Any:
        if not isinstance(serialised, StoredEvents):
            return original(self, sender_id, serialised)
        # What deserialisation does (a fresh tracker, then every event replayed), without
        # rebuilding the events from JSON: the same objects, as in ``tracker.copy()``.
        tracker = self.init_tracker(sender_id)
        tracker.events.extend(serialised)
        tracker.replay_events()
        return tracker

    InMemoryTrackerStore.serialise_tracker = staticmethod(serialise_tracker)
    InMemoryTrackerStore.deserialise_tracker = deserialise_tracker
