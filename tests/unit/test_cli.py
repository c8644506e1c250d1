"""``calmdesk train``: options that are checked before any work starts."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from bot.nlu.train import TrainConfig, data_fingerprint
from bot.settings import PROJECT_ROOT

runner = CliRunner()


def test_train_refuses_an_unknown_device_before_training() -> None:
    result = runner.invoke(app, ["train", "nlu", "--force", "--device", "tpu"])
    assert result.exit_code == 2
    assert "device 'tpu' is not available here" in result.output
    assert "saved" not in result.output and "up to date" not in result.output


def test_where_training_runs_does_not_change_which_model_is_current() -> None:
    data = PROJECT_ROOT / "nlu_data"
    plain = data_fingerprint(data, TrainConfig())
    assert data_fingerprint(data, TrainConfig(device="cuda", threads=2)) == plain
    assert data_fingerprint(data, TrainConfig(steps=501)) != plain
