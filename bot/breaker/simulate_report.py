"""Writing the ``calmdesk simulate`` reports (JSON + markdown) and the incident attribution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.breaker.attribution import write_attribution
from bot.breaker.wiring import sql_escalation


def simulation_markdown(report: dict[str, Any]) -> str:
    """The one-seed report as a markdown table."""
    budget = report["budget"]
    days = ", ".join(f"{cents / 100:.2f}" for cents in budget["per_day_cents"].values()) or "0.00"
    rows = [
        (
            "messages / conversations / hours",
            f"{report['messages']} / {report['conversations']} / {report['hours']}",
        ),
        ("injected incident", report["injected_incident"] or "none"),
        (
            "detection delay",
            f"{report['detection_delay_angry_messages']} angry messages, "
            f"{report['detection_delay_minutes']} min"
            if report["detected"]
            else "not detected",
        ),
        ("false incidents per 10,000 messages", str(report["false_incidents_per_10k_messages"])),
        ("handoff rate (per conversation)", f"{report['handoff_rate_per_conversation']:.2%}"),
        ("actions", ", ".join(f"{k} {v}" for k, v in sorted(report["actions"].items()))),
        (
            "remedies",
            ", ".join(f"{k} {v}" for k, v in sorted(report["remedies"].items())) or "none",
        ),
        (
            "coupons spent vs budget",
            f"{report['coupons_issued']} coupons, {report['spent_cents'] / 100:.2f} "
            f"{report['currency']} (per day: {days}; cap "
            f"{budget['per_day_cap_cents'] / 100:.2f} a day, "
            f"{budget['per_incident_cap_cents'] / 100:.2f} an incident)",
        ),
        ("budget caps exceeded", ", ".join(budget["exceeded"]) or "none"),
        (
            "decide() with the SQL store",
            "mean {mean} ms, p50 {p50} ms, p95 {p95} ms".format(**report["decide_ms_sql"]),
        ),
    ]
    lines = [f"# calmdesk simulate — seed {report['seed']}", "", "| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    if report.get("attribution"):
        lines += [
            "",
            f"Attribution report: `{report['attribution']['json']}`, "
            f"`{report['attribution']['png']}`",
        ]
    return "\n".join(lines) + "\n"


def seeds_markdown(summary: dict[str, Any]) -> str:
    """The multi-seed summary as a markdown table."""
    first, stop = summary["seeds"]
    count = stop - first
    rows = [
        (
            "seeds",
            f"{first}–{stop - 1} ({count} replays of {summary['messages_per_replay']} messages)",
        ),
        (
            "injected incident detected within 20 angry messages",
            f"{summary['detected_within_20_angry_messages']} / {count}",
        ),
        (
            "angry messages until detection (median / p90 / max)",
            f"{summary['median_angry_messages']} / {summary['p90_angry_messages']} / "
            f"{summary['max_angry_messages']}",
        ),
        ("hours until detection (median)", str(summary["median_hours_to_detect"])),
        (
            "false incidents in calm replays",
            f"{summary['false_incidents_in_calm_replays']} "
            f"({summary['false_incidents_per_10k_calm_messages']} per 10,000 messages)",
        ),
        (
            "false incidents during injected replays",
            str(summary["false_incidents_during_injected_runs"]),
        ),
    ]
    lines = [
        "# calmdesk simulate — detection over many seeds",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines) + "\n"


def write_simulation(report: dict[str, Any], url: str, out_dir: Path) -> tuple[Path, Path]:
    """Write ``simulate.json`` / ``simulate.md`` (+ the incident's attribution) to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if report.get("incident_id"):
        system = sql_escalation(url, incidents=False)
        try:
            json_path, png_path = write_attribution(system.sessions, report["incident_id"], out_dir)
        finally:
            system.dispose()
        report = {**report, "attribution": {"json": str(json_path), "png": str(png_path)}}
    json_out = out_dir / "simulate.json"
    json_out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    md_out = out_dir / "simulate.md"
    md_out.write_text(simulation_markdown(report), "utf-8")
    return json_out, md_out


def write_seeds(summary: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``simulate-seeds.json`` / ``simulate-seeds.md`` to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_out = out_dir / "simulate-seeds.json"
    json_out.write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    md_out = out_dir / "simulate-seeds.md"
    md_out.write_text(seeds_markdown(summary), "utf-8")
    return json_out, md_out
