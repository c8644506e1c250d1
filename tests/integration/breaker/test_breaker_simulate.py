"""``calmdesk simulate`` and the attribution report, on a real SQLite file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.breaker.errors import BreakerError
from bot.breaker.simulate import SimulateOptions, prepare_database, run_simulation
from bot.breaker.simulate_report import write_simulation
from bot.cli import app


def test_a_short_replay_detects_the_incident_and_writes_every_report(tmp_path: Path):
    options = SimulateOptions(
        seed=1,
        messages=1_500,
        angry_share=0.6,
        incident_start_hours=1.0,
        work_dir=tmp_path / "var",
    )
    url = prepare_database(options)
    seen: list[tuple[str, int, int]] = []
    report = run_simulation(options, url, lambda *step: seen.append(step))
    assert seen[-1] == ("replay", 1_500, 1_500)
    assert report["detected"] and report["injected_incident"] == "delivery|carrier=dhl"
    assert report["detection_delay_angry_messages"] <= 20
    assert report["false_incidents"] == 0
    assert report["budget"]["exceeded"] == []
    assert report["coupon_codes_unique"]
    assert sum(report["actions"].values()) == 1_500
    json_path, md_path = write_simulation(report, url, tmp_path / "reports")
    written = json.loads(json_path.read_text())
    attribution = json.loads(Path(written["attribution"]["json"]).read_text())
    assert attribution["incident"]["cause_key"] == "delivery|carrier=dhl"
    assert attribution["affected"]["messages"] > 0
    assert attribution["remedies"]["count"] >= attribution["remedies"]["coupons"]
    assert Path(written["attribution"]["png"]).read_bytes()[:4] == b"\x89PNG"
    assert "detection delay" in md_path.read_text()

    result = CliRunner().invoke(
        app, ["report", "incident", "inc-nope", "--database", url, "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    incident_id = report["incident_id"]
    result = CliRunner().invoke(
        app, ["report", "incident", incident_id, "--database", url, "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / f"incident-{incident_id}.png").exists()

    with pytest.raises(BreakerError, match="--reset"):
        prepare_database(replace(options, database_url=url))
    result = CliRunner().invoke(app, ["simulate", "--database", url, "--conversations", "5"])
    assert result.exit_code == 2 and "--reset" in result.output
    assert prepare_database(replace(options, database_url=url, reset=True)) == url


def test_a_calm_replay_on_sqlite_and_postgresql(database_url: str, tmp_path: Path):
    options = SimulateOptions(
        seed=4, conversations=150, incident=False, database_url=database_url, reset=True
    )
    report = run_simulation(options, prepare_database(options))
    assert report["conversations"] == 150
    assert report["injected_incident"] is None and report["false_incidents"] == 0
    assert report["budget"]["exceeded"] == []
    assert report["coupon_codes_unique"]
