"""``calmdesk simulate``: synthetic traffic through the real engine and the real SQL store.

One run replays a seeded synthetic day (:mod:`escalation.synthetic`) message by message through
:class:`~escalation.engine.EscalationEngine` on the SQL adapters, records every decision, closes
conversations when their last message is done, and reports the detection delay of the injected
incident, false incidents per 10,000 messages, coupons spent against the budget caps, the
handoff rate and the cost of a decision with the SQL store. The multi-seed mode
(:func:`run_seeds`) replays many seeds in memory (same engine and detector) for the detection
figures.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from bot.breaker.errors import BreakerError
from bot.breaker.events import OUTCOME_EVENT
from bot.breaker.models import BREAKER_TABLES, RemedyRow
from bot.breaker.recorder import DecisionRecorder, IncidentResponder
from bot.breaker.wiring import SqlEscalation, sql_escalation
from bot.db import make_engine, upgrade_database
from escalation.budget import CUSTOMER_WINDOW_DAYS, SECONDS_PER_DAY, BudgetCaps, utc_day
from escalation.causes import cause_keys
from escalation.decision import Action, Event
from escalation.evaluate import detection_trial, false_incidents, incident_cause_key
from escalation.incidents import INCIDENT_OPENED
from escalation.memory import ManualClock
from escalation.policy_loader import default_policy
from escalation.synthetic import InjectedIncident, SimulationConfig, SyntheticMessage, generate

Progress = Callable[[str, int, int], None]
TICK_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class SimulateOptions:
    """What to replay.

    Attributes:
        seed: The traffic seed.
        messages: Messages to replay (ignored when ``conversations`` is set).
        conversations: Replay exactly this many conversations instead.
        incident: Inject an incident (``track_order`` / DHL, six hours in).
        angry_share: Share of the incident cause's conversations that turn angry.
        incident_start_hours: When the incident starts, after the first message.
        database_url: The database (migrated here); a fresh SQLite file under ``work_dir``
            when ``None``.
        work_dir: Where the default SQLite file goes.
        reset: Empty the breaker tables of ``database_url`` first (required when they hold
            rows, so a simulation never mixes with, or silently wipes, real data).
    """

    seed: int = 0
    messages: int = 10_000
    conversations: int | None = None
    incident: bool = True
    angry_share: float = 0.3
    incident_start_hours: float = 6.0
    database_url: str | None = None
    work_dir: Path = field(default_factory=lambda: Path("var/simulate"))
    reset: bool = False


def _messages(options: SimulateOptions, config: SimulationConfig) -> list[SyntheticMessage]:
    if options.conversations is None:
        return generate(config)
    wanted = options.conversations
    messages = generate(SimulationConfig(**{**_config_fields(config), "messages": wanted * 9}))
    return [m for m in messages if int(m.signal.conversation_id.rsplit("-", 1)[1]) <= wanted]


def _config_fields(config: SimulationConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in SimulationConfig.__dataclass_fields__}


def prepare_database(options: SimulateOptions) -> str:
    """Return a migrated database URL whose breaker tables are empty.

    Raises:
        BreakerError: ``options.database_url`` already holds breaker rows and ``reset`` is off.
    """
    url = options.database_url
    fresh = url is None
    if url is None:
        options.work_dir.mkdir(parents=True, exist_ok=True)
        path = (options.work_dir / f"simulate-{options.seed}.db").resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            used = [
                table.name
                for table in BREAKER_TABLES
                if connection.execute(select(func.count()).select_from(table)).scalar()
            ]
            if used and not (fresh or options.reset):
                raise BreakerError(
                    f"the database already holds breaker rows ({', '.join(used)}); "
                    "pass --reset to empty the breaker tables first"
                )
            for table in reversed(BREAKER_TABLES):
                connection.execute(delete(table))
    finally:
        engine.dispose()
    return url


def run_simulation(
    options: SimulateOptions, url: str | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Replay one seed through the engine on the SQL store and measure it.

    Args:
        options: What to replay.
        url: A database from :func:`prepare_database`; prepared here when ``None``.
        progress: Called with ``(stage, done, total)``.

    Returns:
        The report (JSON-serialisable); ``report["incident_id"]`` names the detected incident.
    """
    policy = default_policy()
    injected = (
        InjectedIncident(
            angry_share=options.angry_share, start_s=options.incident_start_hours * 3600
        )
        if options.incident
        else None
    )
    config = SimulationConfig(
        seed=options.seed,
        messages=options.messages,
        incidents=(injected,) if injected else (),
    )
    messages = _messages(options, config)
    url = url or prepare_database(options)
    clock = ManualClock(config.start)
    system = sql_escalation(url, policy, clock=clock)
    try:
        return _replay(system, messages, config, injected, clock, url, progress)
    finally:
        system.dispose()


def _replay(
    system: SqlEscalation,
    messages: list[SyntheticMessage],
    config: SimulationConfig,
    injected: InjectedIncident | None,
    clock: ManualClock,
    url: str,
    progress: Progress | None,
) -> dict[str, Any]:
    policy = system.engine.policy
    recorder = DecisionRecorder(system.sessions, policy.incidents)
    customers: dict[str, str | None] = {}
    assert system.detector is not None
    system.sink.add_listener(
        IncidentResponder(
            system.ledger, system.detector, policy.budgets, customers.get, system.sink.emit
        )
    )
    key = incident_cause_key(injected, policy) if injected else None
    start = config.start + injected.start_s if injected else float("inf")
    last_turn = {m.signal.conversation_id: m.signal.message_id for m in messages}
    angry_about_cause, detected, false_opened = 0, None, []
    actions: Counter[str] = Counter()
    costs: list[float] = []
    next_tick = config.start + TICK_SECONDS
    for index, message in enumerate(messages):
        signal = message.signal
        at = signal.timestamp or clock.now()
        while next_tick <= at:
            clock.set(next_tick)
            system.engine.tick()
            next_tick += TICK_SECONDS
        clock.set(at)
        customers[signal.conversation_id] = signal.customer_id
        about = key is not None and key in cause_keys(
            signal, policy.incidents, message.cause.intent
        )
        if at >= start and about and system.detector.is_angry(signal):
            angry_about_cause += 1
        began = time.perf_counter()
        decision = system.engine.decide(signal)
        costs.append(time.perf_counter() - began)
        recorder.record(signal, decision, message.cause.intent)
        actions[decision.action.value] += 1
        for event in decision.events:
            if event.name != INCIDENT_OPENED:
                continue
            if event.payload["cause_key"] == key and at >= start and detected is None:
                detected = (angry_about_cause, (at - start) / 60, str(event.payload["incident_id"]))
            else:
                false_opened.append(str(event.payload["cause_key"]))
        if last_turn[signal.conversation_id] == signal.message_id:
            _close(system, signal.conversation_id, decision.action, at)
        if progress is not None and (index % 200 == 0 or index == len(messages) - 1):
            progress("replay", index + 1, len(messages))
    return _report(system, messages, config, key, detected, false_opened, actions, costs, url)


def _close(system: SqlEscalation, conversation_id: str, action: Action, at: float) -> None:
    state = system.store.load(conversation_id)
    outcome = "handed_off" if state is not None and state.handed_off else "ended_with_bot"
    system.sink.emit(Event(OUTCOME_EVENT, at, conversation_id, {"outcome": outcome}))
    system.engine.close(conversation_id, at)


def budget_check(remedies: list[RemedyRow], caps: BudgetCaps) -> dict[str, Any]:
    """Recompute every budget scope from the issued remedies; ``exceeded`` lists violations."""
    exceeded: list[str] = []
    by_conversation: Counter[str] = Counter()
    by_conversation_cents: Counter[str] = Counter()
    by_incident: Counter[str] = Counter()
    by_day: Counter[int] = Counter()
    for remedy in remedies:
        by_conversation[remedy.conversation_id] += 1
        by_conversation_cents[remedy.conversation_id] += remedy.cost_cents
        if remedy.incident_id:
            by_incident[remedy.incident_id] += remedy.cost_cents
        by_day[utc_day(remedy.at)] += remedy.cost_cents
        if remedy.customer_id is not None:
            since = remedy.at - CUSTOMER_WINDOW_DAYS * SECONDS_PER_DAY
            window = [
                r
                for r in remedies
                if r.customer_id == remedy.customer_id and since < r.at <= remedy.at
            ]
            if len(window) > caps.per_customer_30d_count:
                exceeded.append(f"customer {remedy.customer_id}: count")
            if sum(r.cost_cents for r in window) > caps.per_customer_30d_cents:
                exceeded.append(f"customer {remedy.customer_id}: amount")
    exceeded += [
        f"conversation {c}" for c, n in by_conversation.items() if n > caps.per_conversation_count
    ]
    exceeded += [
        f"conversation {c}: amount"
        for c, n in by_conversation_cents.items()
        if n > caps.per_conversation_cents
    ]
    exceeded += [f"incident {i}" for i, n in by_incident.items() if n > caps.per_incident_cents]
    exceeded += [f"day {d}" for d, n in by_day.items() if n > caps.per_day_cents]
    return {
        "per_day_cents": {str(day): cents for day, cents in sorted(by_day.items())},
        "per_day_cap_cents": caps.per_day_cents,
        "per_incident_cents": dict(by_incident),
        "per_incident_cap_cents": caps.per_incident_cents,
        "exceeded": sorted(set(exceeded)),
    }


def _report(
    system: SqlEscalation,
    messages: list[SyntheticMessage],
    config: SimulationConfig,
    key: str | None,
    detected: tuple[int, float, str] | None,
    false_opened: list[str],
    actions: Counter[str],
    costs: list[float],
    url: str,
) -> dict[str, Any]:
    with system.sessions.begin() as session:
        remedies = list(session.scalars(select(RemedyRow)))
    caps = system.engine.policy.budgets
    conversations = len({m.signal.conversation_id for m in messages})
    span = (messages[-1].signal.timestamp or 0.0) - (messages[0].signal.timestamp or 0.0)
    coupons = [r for r in remedies if r.coupon_code]
    ordered = sorted(costs)
    return {
        "seed": config.seed,
        "database": url.split("?")[0] if "@" not in url else url.split("@")[-1],
        "messages": len(messages),
        "conversations": conversations,
        "hours": round(span / 3600, 1),
        "injected_incident": key,
        "incident_id": detected[2] if detected else None,
        "detected": detected is not None,
        "detection_delay_angry_messages": detected[0] if detected else None,
        "detection_delay_minutes": round(detected[1], 1) if detected else None,
        "false_incidents": len(false_opened),
        "false_incidents_per_10k_messages": round(len(false_opened) * 10_000 / len(messages), 2),
        "false_incident_causes": false_opened,
        "actions": dict(actions),
        "handoffs": actions.get("handoff", 0),
        "handoff_rate_per_conversation": round(actions.get("handoff", 0) / conversations, 4),
        "remedies": dict(Counter(r.kind for r in remedies)),
        "coupons_issued": len(coupons),
        "coupon_codes_unique": len({r.coupon_code for r in coupons}) == len(coupons),
        "spent_cents": sum(r.cost_cents for r in remedies),
        "currency": caps.currency,
        "budget": budget_check(remedies, caps),
        "decide_ms_sql": {
            "mean": round(statistics.fmean(costs) * 1000, 3),
            "p50": round(ordered[len(ordered) // 2] * 1000, 3),
            "p95": round(ordered[int(len(ordered) * 0.95)] * 1000, 3),
        },
    }


def run_seeds(
    seeds: range, messages: int = 10_000, limit: int = 20, progress: Progress | None = None
) -> dict[str, Any]:
    """Detection delay and calm false incidents over many seeds (in-memory adapters)."""
    trials, calm = [], {}
    for done, seed in enumerate(seeds):
        trials.append(detection_trial(seed, messages=messages))
        calm[seed] = false_incidents(seed, messages=messages)
        if progress is not None:
            progress("seeds", done + 1, len(seeds))
    delays = [t.detected_after for t in trials if t.detected_after is not None]
    false_calm = sum(len(keys) for keys in calm.values())
    return {
        "seeds": [seeds.start, seeds.stop],
        "messages_per_replay": messages,
        "detected": len(delays),
        f"detected_within_{limit}_angry_messages": sum(d <= limit for d in delays),
        "median_angry_messages": statistics.median(delays) if delays else None,
        "p90_angry_messages": sorted(delays)[int(0.9 * (len(delays) - 1))] if delays else None,
        "max_angry_messages": max(delays) if delays else None,
        "median_hours_to_detect": statistics.median(
            [t.hours_to_detect for t in trials if t.hours_to_detect is not None]
        )
        if delays
        else None,
        "angry_messages_by_seed": {str(t.seed): t.detected_after for t in trials},
        "false_incidents_in_calm_replays": false_calm,
        "false_incidents_per_10k_calm_messages": round(
            false_calm * 10_000 / (messages * len(seeds)), 4
        ),
        "calm_replays_with_false_incidents": sum(bool(keys) for keys in calm.values()),
        "false_incidents_during_injected_runs": sum(len(t.other_incidents) for t in trials),
    }
