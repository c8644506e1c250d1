"""Time ``EscalationEngine.decide`` on synthetic traffic: ``python -m escalation.bench``.

Feeds deterministic synthetic signals (with one injected incident, so every code path runs)
through an engine on the in-memory adapters and times each call with ``perf_counter_ns``.
Writes ``<out>/bench-escalation.json`` and ``.md`` with p50/p95/p99 per decision in
microseconds and decisions per second. Generating the signals is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from escalation.bootstrap import in_memory_engine
from escalation.decision import Action
from escalation.incidents import INCIDENT_OPENED
from escalation.synthetic import InjectedIncident, SimulationConfig, generate

TARGET_US = 1_000.0


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Timings and outcome counts of one run."""

    signals: int
    seconds: float
    p50_us: float
    p95_us: float
    p99_us: float
    max_us: float
    mean_us: float
    actions: dict[str, int]
    incidents_opened: int
    remedies_issued: int

    @property
    def decisions_per_second(self) -> float:
        """Throughput of one thread calling ``decide`` back to back."""
        return self.signals / self.seconds


def _percentile(sorted_values: list[int], share: float) -> float:
    index = min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))
    return sorted_values[index] / 1_000


def run_bench(signals: int = 50_000, seed: int = 0) -> BenchResult:
    """Decide ``signals`` synthetic messages and time each decision.

    Args:
        signals: How many messages to decide.
        seed: Seed of the synthetic traffic.
    """
    incident = InjectedIncident(start_s=6 * 3600.0, duration_s=12 * 3600.0)
    messages = generate(SimulationConfig(seed=seed, messages=signals, incidents=(incident,)))
    system = in_memory_engine()
    decide = system.engine.decide
    timings: list[int] = []
    actions: Counter[str] = Counter()
    incidents = 0
    clock = time.perf_counter_ns
    started = clock()
    for message in messages:
        before = clock()
        decision = decide(message.signal)
        timings.append(clock() - before)
        actions[decision.action.value] += 1
        incidents += sum(event.name == INCIDENT_OPENED for event in decision.events)
    seconds = (clock() - started) / 1e9
    timings.sort()
    return BenchResult(
        signals=len(messages),
        seconds=seconds,
        p50_us=_percentile(timings, 0.50),
        p95_us=_percentile(timings, 0.95),
        p99_us=_percentile(timings, 0.99),
        max_us=timings[-1] / 1_000,
        mean_us=statistics.fmean(timings) / 1_000,
        actions={action.value: actions[action.value] for action in Action},
        incidents_opened=incidents,
        remedies_issued=len(system.ledger.issued()),
    )


def _machine() -> dict[str, str | int | None]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_reports(result: BenchResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``bench-escalation.json`` and ``bench-escalation.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": "escalation.decide",
        "method": "one thread, in-memory adapters, synthetic traffic with one incident; "
        "each decide() timed with perf_counter_ns; signal generation not timed",
        "machine": _machine(),
        "signals": result.signals,
        "seconds": round(result.seconds, 3),
        "decisions_per_second": round(result.decisions_per_second, 1),
        "latency_us": {
            "p50": round(result.p50_us, 1),
            "p95": round(result.p95_us, 1),
            "p99": round(result.p99_us, 1),
            "max": round(result.max_us, 1),
            "mean": round(result.mean_us, 1),
        },
        "target_us": TARGET_US,
        "meets_target": result.p95_us <= TARGET_US,
        "actions": result.actions,
        "incidents_opened": result.incidents_opened,
        "remedies_issued": result.remedies_issued,
    }
    json_path = out_dir / "bench-escalation.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    machine = data["machine"]
    assert isinstance(machine, dict)
    lines = [
        "# Escalation engine benchmark",
        "",
        f"`decide()` on {result.signals:,} synthetic signals, one thread, in-memory adapters "
        f"(Python {machine['python']}, {machine['cpus']} CPUs).",
        "",
        "| p50 | p95 | p99 | max | mean | decisions/s | target |",
        "|---|---|---|---|---|---|---|",
        f"| {result.p50_us:.1f} µs | {result.p95_us:.1f} µs | {result.p99_us:.1f} µs "
        f"| {result.max_us:.1f} µs | {result.mean_us:.1f} µs "
        f"| {result.decisions_per_second:,.0f} | ≤ {TARGET_US:.0f} µs "
        f"({'met' if data['meets_target'] else 'missed'}) |",
        "",
        "Actions: "
        + ", ".join(f"{name} {count:,}" for name, count in result.actions.items())
        + f"; incidents opened: {result.incidents_opened}; "
        f"remedies issued: {result.remedies_issued}.",
        "",
        "The max is a garbage-collector pause (the in-memory store keeps every conversation);",
        "p99 and below are the figures to compare.",
        "",
    ]
    md_path = out_dir / "bench-escalation.md"
    md_path.write_text("\n".join(lines), "utf-8")
    return json_path, md_path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the reports; prints a one-line summary."""
    parser = argparse.ArgumentParser(prog="python -m escalation.bench", description=__doc__)
    parser.add_argument("--signals", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    result = run_bench(args.signals, args.seed)
    json_path, md_path = write_reports(result, args.out)
    print(
        f"decide(): p50 {result.p50_us:.1f} µs, p95 {result.p95_us:.1f} µs, "
        f"p99 {result.p99_us:.1f} µs, {result.decisions_per_second:,.0f} decisions/s "
        f"-> {json_path}, {md_path}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
