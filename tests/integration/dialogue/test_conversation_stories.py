"""Rasa conversation tests: every story in ``tests/conversations`` must pass ``rasa test core``.

Core-only evaluation replays each story's intents and slot events and checks that the trained
policies predict every action step; it needs neither the NLU service nor the action server.
Rasa's output goes to a temporary directory.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.rasa_runtime import (
    RasaNotInstalledError,
    rasa_executable,
    rasa_python,
    rasa_subprocess_env,
    rasa_venv_dir,
    train_core,
)
from bot.rasa_runtime.server import RASA_BOOT
from bot.settings import PROJECT_ROOT, get_settings

STORIES_DIR = PROJECT_ROOT / "tests" / "conversations"
MIN_STORIES = 30
_CONVERSATION_SCORE = re.compile(r"CONVERSATION level:\s*\n.*?Correct:\s*(\d+)\s*/\s*(\d+)", re.S)


def _story_names() -> list[str]:
    names = []
    for path in sorted(STORIES_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text("utf-8")) or {}
        names += [story["story"] for story in document.get("stories", [])]
    return names


def test_there_are_enough_multi_turn_stories() -> None:
    names = _story_names()
    assert len(names) >= MIN_STORIES, f"only {len(names)} conversation tests"
    assert len(set(names)) == len(names), "story names must be unique"


@pytest.mark.parametrize("launcher", ["stock", "speedups"])
def test_every_conversation_story_passes(tmp_path: Path, launcher: str) -> None:
    """Stock ``rasa``, and Rasa with rasa_boot.py's speed-ups (the policies' rule cache, event
    types, ...) must predict every step of every story."""
    settings = get_settings()
    try:
        rasa = (
            [str(rasa_executable(settings))]
            if launcher == "stock"
            else [str(rasa_python(settings)), str(RASA_BOOT)]
        )
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    model = train_core(settings)  # no-op when the model matches the assistant's fingerprint
    out = tmp_path / "results"
    result = subprocess.run(
        [
            *rasa,
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(STORIES_DIR),
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=tmp_path,  # Rasa writes a .rasa cache into its working directory
        env=rasa_subprocess_env(venv=rasa_venv_dir(settings)),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    failed = (out / "failed_test_stories.yml").read_text("utf-8")
    assert "None of the test stories failed" in failed, f"failed stories:\n{failed}"
    score = _CONVERSATION_SCORE.search(log)
    assert score is not None, log[-3000:]
    correct, total = int(score.group(1)), int(score.group(2))
    assert correct == total >= MIN_STORIES, f"{correct}/{total} conversations passed"
