"""``calmdesk bench``: the three report-writing benchmarks, and clear errors for bad options."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_bench_lists_its_three_benchmarks() -> None:
    result = runner.invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    for name in ("nlu", "rasa-boot", "stack"):
        assert f" {name} " in result.output


def test_bench_stack_refuses_an_unknown_target_before_starting_anything(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "stack", "--target", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown target(s) ['nope']" in result.output
    assert list(tmp_path.iterdir()) == []  # no report written


def test_bench_stack_refuses_a_stock_model_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tar.gz"
    result = runner.invoke(app, ["bench", "stack", "--stock-model", str(missing)])
    assert result.exit_code == 2
    assert "does not exist" in result.output
