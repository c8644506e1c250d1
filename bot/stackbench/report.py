"""The stack benchmark's report: ratios against stock Rasa, JSON and a markdown table."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.stackbench.runner import LevelFigures

STOCK = "stock-rasa"
#: The issue's target at 8 concurrent conversations: ≥ 3× stock msgs/s, p95 ≤ half of stock's.
GOAL_LEVEL = "c8"
MIN_THROUGHPUT_RATIO = 3.0
MAX_P95_RATIO = 0.5
GOAL = {
    "level": GOAL_LEVEL,
    "min_throughput_ratio": MIN_THROUGHPUT_RATIO,
    "max_p95_ratio": MAX_P95_RATIO,
}


def _ratio(numerator: float, denominator: float) -> float | None:
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return None
    return round(numerator / denominator, 2)


def ratios(rows: Sequence[LevelFigures]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Each target's msgs/s and p95 divided by stock Rasa's at the same level.

    Args:
        rows: Figures of every target and level.

    Returns:
        ``{target: {level: {"throughput": x, "p50": y, "p95": z, "silent": n}}}`` for every
        target but stock Rasa (``silent``: answers withheld because a human owned the
        conversation); empty when stock Rasa did not run.
    """
    stock = {row["level"]: row for row in rows if row["target"] == STOCK}
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for row in rows:
        base = stock.get(row["level"])
        if row["target"] == STOCK or base is None:
            continue
        out.setdefault(row["target"], {})[row["level"]] = {
            "throughput": _ratio(row["msgs_per_s"], base["msgs_per_s"]),
            "p50": _ratio(row["p50_ms"], base["p50_ms"]),
            "p95": _ratio(row["p95_ms"], base["p95_ms"]),
            "silent": row["empty_replies"],
        }
    return out


def goal_met(level_ratios: dict[str, dict[str, float | None]]) -> bool | None:
    """Whether a target meets the issue's goal at 8 senders (``None``: not measured)."""
    at = level_ratios.get(GOAL_LEVEL)
    if not at:
        return None
    throughput, p95 = at["throughput"], at["p95"]
    if throughput is None or p95 is None:
        return None
    return throughput >= MIN_THROUGHPUT_RATIO and p95 <= MAX_P95_RATIO


def goal_rounds(rounds: Sequence[Sequence[LevelFigures]]) -> list[dict[str, Any]]:
    """Per round, every target's figures at the goal level and its ratios to stock Rasa."""
    out = []
    for number, rows in enumerate(rounds, start=1):
        at_goal = [row for row in rows if row["level"] == GOAL_LEVEL]
        out.append(
            {
                "round": number,
                "figures": {
                    row["target"]: {
                        "msgs_per_s": row["msgs_per_s"],
                        "p95_ms": row["p95_ms"],
                        "cpu_ms_per_msg": row["cpu_ms_per_msg"].get("total"),
                    }
                    for row in at_goal
                },
                "ratios": {
                    target: {"throughput": r["throughput"], "p95": r["p95"]}
                    for target, levels in ratios(at_goal).items()
                    for level, r in levels.items()
                    if level == GOAL_LEVEL
                },
            }
        )
    return out


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"min": ordered[0], "median": ordered[len(ordered) // 2], "max": ordered[-1]}


def goal_over_rounds(per_round: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each target: in how many rounds the goal was met, and the spread of its ratios."""
    targets = sorted({t for entry in per_round for t in entry["ratios"]})
    out: dict[str, dict[str, Any]] = {}
    for target in targets:
        measured = [
            entry["ratios"][target]
            for entry in per_round
            if entry["ratios"].get(target, {}).get("throughput") is not None
            and entry["ratios"][target].get("p95") is not None
        ]
        if not measured:
            continue
        out[target] = {
            "rounds": len(measured),
            "met": sum(goal_met({GOAL_LEVEL: r}) is True for r in measured),
            "throughput_ratio": _spread([r["throughput"] for r in measured]),
            "p95_ratio": _spread([r["p95"] for r in measured]),
        }
    return out


def build_report(
    rows: Sequence[LevelFigures],
    meta: dict[str, Any],
    skipped: dict[str, str],
    repeats: Sequence[Sequence[LevelFigures]] = (),
) -> dict[str, Any]:
    """Assemble the JSON report.

    Args:
        rows: Figures of every target and level (the first round).
        meta: Machine facts, method, durations, load before and after.
        skipped: Targets that did not run, with the reason.
        repeats: Further rounds at the goal level (8 senders), each with every target.

    Returns:
        The report (JSON-serialisable: plain floats, ints, strings, booleans).
    """
    by_target = ratios(rows)
    per_round = goal_rounds([rows, *repeats])
    return {
        **meta,
        "targets_run": sorted({row["target"] for row in rows}),
        "targets_skipped": skipped,
        "results": list(rows),
        "ratios_vs_stock": by_target,
        "goal": GOAL,
        "goal_met": {target: goal_met(levels) for target, levels in by_target.items()},
        "rounds": per_round,
        "goal_over_rounds": goal_over_rounds(per_round),
    }


def _fmt(value: float | None, suffix: str = "") -> str:
    return "–" if value is None else f"{value:g}{suffix}"


def _cpu(cpu: dict[str, float]) -> str:
    return f"{cpu['targets']:g} / {cpu['load_generator']:g} / {cpu['others']:g}"


def _pairs(values: dict[str, float] | None) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in (values or {}).items()) or "–"


def render_markdown(report: dict[str, Any]) -> str:
    """The report as markdown: one row per target × level, then ratios and notes."""
    machine = report.get("machine", {})
    lines = [
        "# Whole-stack benchmark: calmdesk vs stock Rasa 3.6",
        "",
        f"Generated {report.get('generated_at', '?')} on {machine.get('cpus', '?')} CPUs "
        f"({machine.get('cpu_model', '?')}), {machine.get('memory_gb', '?')} GB RAM; "
        f"{report.get('duration_s', '?')} s per level after one warm-up message; load "
        f"generator on the same machine. Load average before: "
        f"{machine.get('load_before', '?')}, after: {machine.get('load_after', '?')}.",
        "",
        "| target | load | msgs | errors | silent | msgs/s | p50 ms | p95 ms | p99 ms "
        "| RSS MB (peak) | CPU % target / loadgen / others |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
        rss = ", ".join(f"{name} {mb:g}" for name, mb in row["rss_mb"].items())
        lines.append(
            f"| {row['target']} | {row['label']} | {row['requests']} | {row['errors']} | "
            f"{row['empty_replies']} | {row['msgs_per_s']:g} | {row['p50_ms']:g} | "
            f"{row['p95_ms']:g} | {row['p99_ms']:g} | {rss} | {_cpu(row['cpu_percent'])} |"
        )
    lines += [
        "",
        "*errors*: no answer, not the REST format, or the gateway's apology (Rasa or the NLU "
        "failed or was too slow); *silent*: an empty answer — a human owns the conversation "
        "(calmdesk's circuit breaker handed it off), so that customer starts a new one. "
        "*CPU %*: share of the whole machine (all cores = 100) used by the target's "
        "processes, the load generator, and everything else (other work on the machine).",
    ]
    costed = [row for row in report["results"] if row.get("cpu_ms_per_msg")]
    if costed:
        lines += [
            "",
            "CPU cost per message (ms of CPU time, user + system, per answered message; "
            "each process with its children): what limits throughput on a CPU-bound machine.",
            "",
            "| target | load | CPU ms per message |",
            "|---|---|---|",
        ]
        for row in costed:
            lines.append(f"| {row['target']} | {row['label']} | {_pairs(row['cpu_ms_per_msg'])} |")
    long_rows = [row for row in report["results"] if row["turns"]]
    if long_rows:
        lines += ["", "Endless conversation (1 sender): p50 of turns 1–5 vs turns 46–55.", ""]
        lines += ["| target | turns reached | p50 ms turns 1–5 | p50 ms turns 46–55 |"]
        lines += ["|---|---|---|---|"]
        for row in long_rows:
            turns = row["turns"]
            lines.append(
                f"| {row['target']} | {_fmt(turns['reached'])} | "
                f"{_fmt(turns['p50_ms_turns_1_5'])} | {_fmt(turns['p50_ms_turns_46_55'])} |"
            )
    staged = [row for row in report["results"] if row.get("gateway", {}).get("stage_mean_ms")]
    if staged:
        lines += ["", "Gateway stages (mean ms, from its /metrics), handoffs and errors:", ""]
        lines += ["| load | stages | handoffs | errors | parse relay |", "|---|---|---|---|---|"]
        for row in staged:
            gw = row["gateway"]
            stages = ", ".join(f"{k} {v:g}" for k, v in gw["stage_mean_ms"].items())
            lines.append(
                f"| {row['label']} | {stages} | {_pairs(gw.get('handoffs'))} | "
                f"{_pairs(gw.get('errors'))} | {_pairs(gw.get('parse_relay'))} |"
            )
    if report["ratios_vs_stock"]:
        lines += [
            "",
            "Ratios to stock Rasa at the same load (throughput: higher is better; latency: "
            "lower is better).",
            "",
        ]
        lines += [
            "| target | load | msgs/s ratio | p50 ratio | p95 ratio |",
            "|---|---|---|---|---|",
        ]
        for target, levels in report["ratios_vs_stock"].items():
            for level, r in levels.items():
                mark = " †" if level == "long" and r.get("silent") else ""
                lines.append(
                    f"| {target} | {level}{mark} | {_fmt(r['throughput'], '×')} | "
                    f"{_fmt(r['p50'], '×')} | {_fmt(r['p95'], '×')} |"
                )
        if any(
            levels.get("long", {}).get("silent") for levels in report["ratios_vs_stock"].values()
        ):
            lines += [
                "",
                "† not comparable: calmdesk's circuit breaker handed the endless conversation "
                "to a human, so that target never had the long conversation stock Rasa had.",
            ]
        goal = report["goal"]
        lines += [
            "",
            f"Goal at 8 senders: ≥ {goal['min_throughput_ratio']}× stock msgs/s and p95 ≤ "
            f"{goal['max_p95_ratio']}× stock's — met: {report['goal_met']}.",
        ]
    lines += _rounds_markdown(report)
    if report["targets_skipped"]:
        lines += [
            "",
            "Not run: " + "; ".join(f"{k} ({v})" for k, v in report["targets_skipped"].items()),
        ]
    notes = report.get("notes", [])
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _rounds_markdown(report: dict[str, Any]) -> list[str]:
    """The goal level round by round, when the run had more than one round."""
    per_round = report.get("rounds", [])
    if len(per_round) < 2:
        return []
    # In the order they ran (the figures keep the order of the rows).
    targets = list(dict.fromkeys(t for entry in per_round for t in entry["figures"]))
    lines = [
        "",
        f"The goal level in each of {len(per_round)} rounds (every target restarted each "
        "round, same order; round 1 is the table above): msgs/s, p95 ms, and the ratios to "
        "stock Rasa in the same round.",
        "",
        "| round | " + " | ".join(targets) + " |",
        "|---|" + "---|" * len(targets),
    ]
    for entry in per_round:
        cells = []
        for target in targets:
            fig = entry["figures"].get(target)
            if fig is None:
                cells.append("–")
                continue
            r = entry["ratios"].get(target)
            ratio = f" ({_fmt(r['throughput'], '×')}, p95 {_fmt(r['p95'], '×')})" if r else ""
            cells.append(f"{fig['msgs_per_s']:g} msg/s, p95 {fig['p95_ms']:g}{ratio}")
        lines.append(f"| {entry['round']} | " + " | ".join(cells) + " |")
    for target, over in report.get("goal_over_rounds", {}).items():
        t, p = over["throughput_ratio"], over["p95_ratio"]
        lines.append(
            f"\n{target}: goal met in {over['met']} of {over['rounds']} rounds; msgs/s ratio "
            f"min {t['min']:g}×, median {t['median']:g}×, max {t['max']:g}×; p95 ratio "
            f"min {p['min']:g}×, median {p['median']:g}×, max {p['max']:g}×."
        )
    return lines


def write_reports(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``bench-stack.json`` and ``bench-stack.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "bench-stack.json", out_dir / "bench-stack.md"
    json_path.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", "utf-8")
    md_path.write_text(render_markdown(report), "utf-8")
    return json_path, md_path
