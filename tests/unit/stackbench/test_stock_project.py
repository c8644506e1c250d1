"""The generated stock Rasa project: Rasa's default config, a consistent domain, a stable key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.rasa_runtime import RasaNotInstalledError, rasa_version
from bot.settings import Settings, get_settings
from bot.stackbench.stock_rasa import build_project, cached_model, write_project

NLU = """version: "3.1"
nlu:
- intent: {intent}
  examples: |
    - example of {intent} about order [1042](order_id)
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose nlu_data is a small copy in tmp; skips without the Rasa environment."""
    base = get_settings()
    try:
        rasa_version(base)
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    data = tmp_path / "nlu_data"
    (data / "intents").mkdir(parents=True)
    (data / "affect").mkdir()
    (data / "affect" / "a.yml").write_text("not: rasa\n")
    for intent in ("greet", "track_order", "goodbye"):
        (data / "intents" / f"{intent}.yml").write_text(NLU.format(intent=intent))
    return base.model_copy(update={"nlu_data_dir": data, "var_dir": tmp_path / "var"})


def test_config_is_rasas_own_default(settings: Settings) -> None:
    config = yaml.safe_load(build_project(settings).files["config.yml"])
    names = [c["name"] for c in config["pipeline"]]
    assert "DIETClassifier" in names and "FallbackClassifier" in names
    policies = [p["name"] for p in config["policies"]]
    assert {"MemoizationPolicy", "RulePolicy", "TEDPolicy"} <= set(policies)


def test_domain_rules_and_stories_are_consistent(settings: Settings) -> None:
    files = build_project(settings).files
    domain = yaml.safe_load(files["domain.yml"])
    assert domain["intents"] == ["goodbye", "greet", "track_order"]
    assert domain["entities"] == ["order_id"]
    rules = yaml.safe_load(files["data/rules.yml"])["rules"]
    for rule in rules:
        action = rule["steps"][1]["action"]
        assert action in domain["responses"], action
    stories = yaml.safe_load(files["data/stories.yml"])["stories"]
    assert stories
    assert all(len(story["steps"]) % 2 == 0 for story in stories)
    # the affect file is our own format, not Rasa's: left out
    assert sorted(n for n in files if n.startswith("data/nlu/")) == [
        "data/nlu/intents-goodbye.yml",
        "data/nlu/intents-greet.yml",
        "data/nlu/intents-track_order.yml",
    ]


def test_fingerprint_follows_the_training_data(settings: Settings) -> None:
    first = build_project(settings)
    assert build_project(settings).fingerprint == first.fingerprint
    path = settings.nlu_data_dir / "intents" / "greet.yml"
    path.write_text(path.read_text() + "    - hello there\n")
    changed = build_project(settings)
    assert changed.fingerprint != first.fingerprint
    assert cached_model(settings, changed) != cached_model(settings, first)


def test_write_project_replaces_the_old_one(settings: Settings) -> None:
    project = build_project(settings)
    target = write_project(settings, project)
    (target / "stale.yml").write_text("old")
    target = write_project(settings, project)
    assert not (target / "stale.yml").exists()
    assert (target / "data" / "rules.yml").read_text() == project.files["data/rules.yml"]
