"""Measure the incident detector on synthetic traffic: ``python -m escalation.evaluate``.

Two figures, each replayed through a full engine on the in-memory adapters:

* **false incidents**: incidents opened in a calm replay (background anger only);
* **detection delay**: angry messages about the injected incident's cause, counted from the
  incident's start, until the detector opens an incident for that cause.

The unit tests check one seed of each; this command reports the spread over many seeds.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from escalation.bootstrap import in_memory_engine
from escalation.causes import cause_keys
from escalation.incidents import INCIDENT_OPENED
from escalation.policy import Policy
from escalation.policy_loader import default_policy
from escalation.signals import TurnSignal
from escalation.synthetic import InjectedIncident, SimulationConfig, generate


@dataclass(frozen=True, slots=True)
class DetectionTrial:
    """One replay with an injected incident.

    Attributes:
        seed: The traffic seed.
        cause_key: The injected incident's cause key.
        detected_after: Angry messages about the cause from the incident's start until it
            was detected (``None``: never detected).
        hours_to_detect: Hours from the incident's start to detection.
        other_incidents: Cause keys of any other incident opened (false alarms).
    """

    seed: int
    cause_key: str
    detected_after: int | None
    hours_to_detect: float | None
    other_incidents: tuple[str, ...]


def incident_cause_key(incident: InjectedIncident, policy: Policy) -> str:
    """The detector's cause key for an injected incident (``delivery|carrier=dhl``)."""
    probe = TurnSignal("probe", incident.intent, entities=dict(incident.entities))
    keys = cause_keys(probe, policy.incidents)
    if len(keys) != 1:
        raise ValueError(f"an injected incident needs exactly one cause key, got {keys}")
    return keys[0]


def false_incidents(
    seed: int, messages: int = 10_000, policy: Policy | None = None
) -> tuple[str, ...]:
    """Replay calm traffic and return the cause keys of every incident opened."""
    system = in_memory_engine(policy)
    opened: list[str] = []
    for message in generate(SimulationConfig(seed=seed, messages=messages)):
        for event in system.engine.decide(message.signal).events:
            if event.name == INCIDENT_OPENED:
                opened.append(str(event.payload["cause_key"]))
    return tuple(opened)


def detection_trial(
    seed: int,
    incident: InjectedIncident | None = None,
    messages: int = 10_000,
    policy: Policy | None = None,
) -> DetectionTrial:
    """Replay traffic with an injected incident and count angry messages until detection."""
    policy = policy or default_policy()
    incident = incident or InjectedIncident()
    key = incident_cause_key(incident, policy)
    config = SimulationConfig(seed=seed, messages=messages, incidents=(incident,))
    start = config.start + incident.start_s
    system = in_memory_engine(policy)
    assert system.detector is not None
    angry = 0
    detected: tuple[int, float] | None = None
    others: list[str] = []
    for message in generate(config):
        signal = message.signal
        at = signal.timestamp or 0.0
        about_cause = key in cause_keys(signal, policy.incidents, message.cause.intent)
        if at >= start and about_cause and system.detector.is_angry(signal):
            angry += 1
        for event in system.engine.decide(signal).events:
            if event.name != INCIDENT_OPENED:
                continue
            if event.payload["cause_key"] == key and at >= start and detected is None:
                detected = (angry, (at - start) / 3600)
            elif event.payload["cause_key"] != key or at < start:
                others.append(str(event.payload["cause_key"]))
    return DetectionTrial(
        seed=seed,
        cause_key=key,
        detected_after=detected[0] if detected else None,
        hours_to_detect=round(detected[1], 2) if detected else None,
        other_incidents=tuple(others),
    )


def summarise(seeds: range, limit: int = 20) -> dict[str, object]:
    """Run both figures over ``seeds`` and summarise them."""
    false_alarms = {seed: false_incidents(seed) for seed in seeds}
    trials = [detection_trial(seed) for seed in seeds]
    delays = [t.detected_after for t in trials if t.detected_after is not None]
    return {
        "seeds": [seeds.start, seeds.stop],
        "calm_replays_with_false_incidents": sum(bool(keys) for keys in false_alarms.values()),
        "false_incidents": {str(seed): list(keys) for seed, keys in false_alarms.items() if keys},
        "detected": len(delays),
        f"detected_within_{limit}": sum(delay <= limit for delay in delays),
        "median_angry_messages": statistics.median(delays) if delays else None,
        "max_angry_messages": max(delays) if delays else None,
        "angry_messages_by_seed": {str(t.seed): t.detected_after for t in trials},
        "false_incidents_during_injected_runs": sum(len(t.other_incidents) for t in trials),
    }


def main(argv: list[str] | None = None) -> int:
    """Evaluate the detector over a range of seeds and print (and optionally save) a summary."""
    parser = argparse.ArgumentParser(prog="python -m escalation.evaluate", description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the summary as JSON")
    args = parser.parse_args(argv)
    summary = summarise(range(args.first_seed, args.first_seed + args.seeds))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
