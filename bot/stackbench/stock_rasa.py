"""Stock Rasa 3.6 as the benchmark's baseline: a ``rasa init``-style bot on our ``nlu_data``.

The project is generated under ``<var_dir>/bench/stock-rasa/``: Rasa's own default
configuration (default pipeline with DIET, default policies — read from the installed Rasa,
exactly what ``rasa init`` trains), our ``nlu_data`` Rasa files, a domain with every intent
and entity and one response per intent, one rule per intent and stories written from the
benchmark's conversation flows. Training is slow (DIET + TED + UnexpecTED, 100 epochs each),
so the model is cached under a fingerprint of everything that goes into it and trained at
most once, niced.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu.data import OWN_FORMAT_DIRS, data_files, load_nlu_data
from bot.process import ManagedProcess
from bot.rasa_runtime import rasa_executable, rasa_subprocess_env, rasa_venv_dir, rasa_version
from bot.settings import Settings
from bot.stackbench.conversations import story_flows
from bot.stackbench.errors import StackBenchError

DEFAULT_CONFIG = "rasa/engine/recipes/config_files/default_config.yml"
TRAIN_TIMEOUT_S = 3 * 3600.0


@dataclass(frozen=True)
class StockProject:
    """The generated stock Rasa project: file name -> content, and its fingerprint."""

    files: dict[str, str]
    fingerprint: str


def _rasa_default_config(settings: Settings) -> str:
    venv = rasa_venv_dir(settings)
    found = sorted(venv.glob(f"lib/python*/site-packages/{DEFAULT_CONFIG}"))
    if not found:
        raise StackBenchError(f"Rasa's default configuration not found in {venv}")
    return found[0].read_text("utf-8").replace("placeholder_default", "stock-rasa-bench")


def _domain(intents: list[str], entities: list[str]) -> str:
    responses = {
        f"utter_{intent}": [{"text": f"(stock bot) I understood: {intent.replace('_', ' ')}."}]
        for intent in intents
    }
    responses["utter_default"] = [{"text": "Sorry, I didn't get that. Can you rephrase?"}]
    domain = {
        "version": "3.1",
        "intents": intents,
        "entities": entities,
        "responses": responses,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    return yaml.safe_dump(domain, sort_keys=False)


def _rules(intents: list[str]) -> str:
    rules = [
        {"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]}
        for intent in intents
    ]
    rules.append(
        {
            "rule": "fallback",
            "steps": [{"intent": "nlu_fallback"}, {"action": "utter_default"}],
        }
    )
    return yaml.safe_dump({"version": "3.1", "rules": rules}, sort_keys=False)


def _stories() -> str:
    stories = []
    for number, flow in enumerate(story_flows(), 1):
        steps: list[dict[str, str]] = []
        for intent in flow:
            steps += [{"intent": intent}, {"action": f"utter_{intent}"}]
        stories.append({"story": f"flow {number}: {' > '.join(flow)}", "steps": steps})
    return yaml.safe_dump({"version": "3.1", "stories": stories}, sort_keys=False)


def build_project(settings: Settings) -> StockProject:
    """Generate the stock project's files in memory and fingerprint them.

    Args:
        settings: calmdesk settings (``nlu_data_dir``, ``rasa_venv``).

    Returns:
        The files (relative path -> text) and a sha256 over them and the Rasa version.
    """
    root = settings.path(settings.nlu_data_dir)
    data = load_nlu_data(root)
    entities = sorted(
        {span.entity for example in data.examples for span in example.entities} | set(data.regexes)
    )
    files = {
        "config.yml": _rasa_default_config(settings),
        "domain.yml": _domain(data.intents, entities),
        "credentials.yml": "rest:\n",
        "data/rules.yml": _rules(data.intents),
        "data/stories.yml": _stories(),
    }
    for path in data_files(root):
        if path.parent.name not in OWN_FORMAT_DIRS:  # our own formats, not Rasa's
            files[f"data/nlu/{path.relative_to(root).as_posix().replace('/', '-')}"] = (
                path.read_text("utf-8")
            )
    digest = hashlib.sha256(rasa_version(settings).encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return StockProject(files, digest.hexdigest()[:16])


def stock_dir(settings: Settings) -> Path:
    """``<var_dir>/bench/stock-rasa``: the generated project and the cached models."""
    return settings.path(settings.var_dir) / "bench" / "stock-rasa"


def cached_model(settings: Settings, project: StockProject) -> Path:
    """Where the model trained from ``project`` is (or will be) cached."""
    return stock_dir(settings) / "models" / f"stock-{project.fingerprint}.tar.gz"


def write_project(settings: Settings, project: StockProject) -> Path:
    """Write the project's files into a fresh ``project/`` directory and return it."""
    target = stock_dir(settings) / "project"
    if target.exists():
        shutil.rmtree(target)
    for name, text in project.files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return target


def ensure_stock_model(
    settings: Settings, progress: Callable[[str], None] = lambda line: None
) -> Path:
    """Return the cached stock model, training it first (niced) when there is none.

    Args:
        settings: calmdesk settings.
        progress: Receives one line per message.

    Returns:
        Path of the ``.tar.gz`` model.

    Raises:
        StackBenchError: Training failed or produced no model.
    """
    project = build_project(settings)
    model = cached_model(settings, project)
    if model.exists():
        progress(f"stock Rasa model is cached: {model}")
        return model
    workdir = write_project(settings, project)
    log = stock_dir(settings) / f"train-{project.fingerprint}.log"
    progress(f"training stock Rasa (default pipeline + policies; slow), log {log}")
    argv = [
        "nice", "-n", "10", str(rasa_executable(settings)), "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(model.parent), "--fixed-model-name", model.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    env = rasa_subprocess_env(venv=rasa_venv_dir(settings))
    env["RASA_CACHE_DIRECTORY"] = str(workdir / ".rasa" / "cache")
    model.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        try:
            done = subprocess.run(
                argv, cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT,
                timeout=TRAIN_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise StackBenchError(f"stock Rasa training timed out; see {log}") from exc
    if done.returncode != 0 or not model.exists():
        raise StackBenchError(f"stock Rasa training failed (exit {done.returncode}); see {log}")
    progress(f"stock Rasa model trained: {model}")
    return model


def stock_rasa_process(
    settings: Settings, model: Path, port: int, log_path: Path
) -> ManagedProcess:
    """A ``rasa run`` of the stock model: REST channel, in-memory stores, its own NLU.

    Args:
        settings: calmdesk settings.
        model: The stock model archive.
        port: Loopback port.
        log_path: Where the server logs.

    Returns:
        A process (not started) whose health URL is ``/status`` (200 once the model loaded).
    """
    workdir = stock_dir(settings) / "project"
    argv = [
        str(rasa_executable(settings)), "run", "--model", str(model),
        "--credentials", str(workdir / "credentials.yml"),
        "--interface", "127.0.0.1", "--port", str(port), "--enable-api",
    ]  # fmt: skip
    env = rasa_subprocess_env(venv=rasa_venv_dir(settings))
    env.setdefault("LOG_LEVEL", "WARNING")
    return ManagedProcess(
        "stock-rasa",
        argv,
        env=env,
        cwd=workdir,
        log_path=log_path,
        health_url=f"http://127.0.0.1:{port}/status",
        inherit_env=False,
    )
