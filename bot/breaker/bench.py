"""The cost of a decision with the SQL store: ``python -m bot.breaker.bench``.

The same synthetic traffic as :mod:`escalation.bench` (one injected incident, so every code
path runs), decided by the engine on the SQL adapters over a fresh SQLite file: state load and
save, ledger reservations, event rows, plus the breaker's decision row the hook writes for every
message. Writes ``<out>/bench-breaker.json`` and ``.md`` next to the in-memory figure
(``bench-escalation.json``), which it refreshes too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.breaker.recorder import DecisionRecorder
from bot.breaker.wiring import sql_escalation
from bot.db import upgrade_database
from escalation.bench import run_bench
from escalation.bench import write_reports as write_core_reports
from escalation.memory import ManualClock
from escalation.synthetic import InjectedIncident, SimulationConfig, generate


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000, 3)


def run_sql_bench(signals: int = 5_000, seed: int = 0, url: str | None = None) -> dict[str, Any]:
    """Decide ``signals`` messages on the SQL adapters (a fresh SQLite file by default)."""
    incident = InjectedIncident(start_s=3 * 3600.0, duration_s=12 * 3600.0)
    config = SimulationConfig(seed=seed, messages=signals, incidents=(incident,))
    messages = generate(config)
    with tempfile.TemporaryDirectory() as work:
        database = url or f"sqlite:///{Path(work) / 'bench.db'}"
        upgrade_database(database)
        system = sql_escalation(database, clock=ManualClock(config.start))
        recorder = DecisionRecorder(system.sessions, system.engine.policy.incidents)
        decide_s: list[float] = []
        total_s: list[float] = []
        actions: Counter[str] = Counter()
        try:
            for message in messages:
                began = time.perf_counter()
                decision = system.engine.decide(message.signal)
                decided = time.perf_counter()
                recorder.record(message.signal, decision, message.cause.intent)
                total_s.append(time.perf_counter() - began)
                decide_s.append(decided - began)
                actions[decision.action.value] += 1
        finally:
            system.dispose()
    return {
        "benchmark": "bot.breaker decide on the SQL store",
        "database": database.split("://")[0],
        "signals": len(messages),
        "decide_ms": {
            "p50": _ms(decide_s, 0.5),
            "p95": _ms(decide_s, 0.95),
            "p99": _ms(decide_s, 0.99),
            "mean": round(statistics.fmean(decide_s) * 1000, 3),
        },
        "decide_and_record_ms": {
            "p50": _ms(total_s, 0.5),
            "p95": _ms(total_s, 0.95),
            "p99": _ms(total_s, 0.99),
            "mean": round(statistics.fmean(total_s) * 1000, 3),
        },
        "actions": dict(actions),
    }


def write_reports(sql: dict[str, Any], core: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``bench-breaker.json`` and ``bench-breaker.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {**sql, "in_memory_decide_us": core}
    json_path = out_dir / "bench-breaker.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    d, r = sql["decide_ms"], sql["decide_and_record_ms"]
    lines = [
        "# Circuit breaker benchmark",
        "",
        f"{sql['signals']:,} synthetic messages, one thread, SQLite file (WAL).",
        "",
        "| store | p50 | p95 | p99 | mean |",
        "|---|---|---|---|---|",
        f"| in memory: `decide()` | {core['p50']} µs | {core['p95']} µs | {core['p99']} µs "
        f"| {core['mean']} µs |",
        f"| SQLite: `decide()` | {d['p50']} ms | {d['p95']} ms | {d['p99']} ms | {d['mean']} ms |",
        f"| SQLite: `decide()` + decision row | {r['p50']} ms | {r['p95']} ms | {r['p99']} ms "
        f"| {r['mean']} ms |",
        "",
        "The engine's own work is the in-memory row; the SQLite rows add one state read, one",
        "state write and the event rows, each its own transaction (remedies lock the ledger).",
        "",
    ]
    md_path = out_dir / "bench-breaker.md"
    md_path.write_text("\n".join(lines), "utf-8")
    return json_path, md_path


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and write the reports; prints a one-line summary."""
    parser = argparse.ArgumentParser(prog="python -m bot.breaker.bench", description=__doc__)
    parser.add_argument("--signals", type=int, default=5_000, help="messages on SQLite")
    parser.add_argument("--core-signals", type=int, default=50_000, help="messages in memory")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    core = run_bench(args.core_signals)
    write_core_reports(core, args.out)
    core_us = {
        "p50": round(core.p50_us, 1),
        "p95": round(core.p95_us, 1),
        "p99": round(core.p99_us, 1),
        "mean": round(core.mean_us, 1),
    }
    sql = run_sql_bench(args.signals)
    json_path, md_path = write_reports(sql, core_us, args.out)
    print(md_path.read_text("utf-8"))
    print(f"-> {json_path}, {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
