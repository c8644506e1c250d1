"""Train the Rasa dialogue model (``rasa train core``) only when the assistant changed.

The model lives in ``<model_dir>/rasa/calmdesk-core.tar.gz`` with a ``fingerprint.json``
beside it. The fingerprint covers every training input of the assistant (config, domain,
stories, rules) and the Rasa version; runtime-only files (``endpoints.yml``,
``credentials.yml``) and conversation tests are left out, so editing them never retrains.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.rasa_runtime.environment import (
    rasa_executable,
    rasa_subprocess_env,
    rasa_venv_dir,
    rasa_version,
)
from bot.rasa_runtime.errors import RasaTrainingError
from bot.settings import Settings

MODEL_NAME = "calmdesk-core"
MODEL_FILE = f"{MODEL_NAME}.tar.gz"
FINGERPRINT_FILE = "fingerprint.json"
FINGERPRINT_VERSION = 1

# Files and folders of the assistant that do not go into the trained model.
RUNTIME_ONLY_FILES = frozenset({"endpoints.yml", "credentials.yml"})
IGNORED_DIRS = frozenset({"tests", "models", "results", "__pycache__"})

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# tqdm progress bars ("Processed trackers:  81%|####  | 25/31", "Processed actions: 55it [")
_PROGRESS_BAR = re.compile(r"\d+%\||\d+it \[")

Progress = Callable[[str], None]


def rasa_model_dir(settings: Settings) -> Path:
    """Return ``<model_dir>/rasa``, where the dialogue model and its fingerprint live."""
    return settings.path(settings.model_dir) / "rasa"


def core_model_path(settings: Settings) -> Path:
    """Return where :func:`train_core` puts the model (it may not exist yet)."""
    return rasa_model_dir(settings) / MODEL_FILE


def assistant_training_files(settings: Settings) -> list[Path]:
    """List the assistant's YAML files that ``rasa train core`` reads, sorted.

    Args:
        settings: calmdesk settings (``rasa_project_dir``).

    Returns:
        Absolute paths of ``*.yml``/``*.yaml`` files, excluding runtime-only files, hidden
        entries and the :data:`IGNORED_DIRS` folders.
    """
    project = settings.path(settings.rasa_project_dir)
    files: list[Path] = []
    for path in project.rglob("*"):
        relative = path.relative_to(project)
        parts = relative.parts
        if any(part.startswith(".") for part in parts) or any(
            part in IGNORED_DIRS for part in parts[:-1]
        ):
            continue
        if len(parts) == 1 and path.name in RUNTIME_ONLY_FILES:
            continue
        if path.suffix in {".yml", ".yaml"} and path.is_file():
            files.append(path)
    return sorted(files, key=lambda item: item.relative_to(project).as_posix())


def assistant_fingerprint(settings: Settings) -> str:
    """Return the sha256 of the assistant's training files and the Rasa version.

    Args:
        settings: calmdesk settings.

    Returns:
        A hex digest that changes whenever a training input or the Rasa version changes.

    Raises:
        RasaNotInstalledError: Rasa is not installed (its version is part of the hash).
    """
    project = settings.path(settings.rasa_project_dir)
    digest = hashlib.sha256()
    digest.update(f"calmdesk-rasa-fingerprint/{FINGERPRINT_VERSION}\0".encode())
    digest.update(f"rasa=={rasa_version(settings)}\0".encode())
    for path in assistant_training_files(settings):
        content = path.read_bytes()
        name = path.relative_to(project).as_posix()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def read_fingerprint(settings: Settings) -> dict[str, Any] | None:
    """Return the stored ``fingerprint.json`` of the current model, or ``None``."""
    path = rasa_model_dir(settings) / FINGERPRINT_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def core_model_is_current(settings: Settings) -> bool:
    """Return whether a trained model exists and matches the assistant's fingerprint."""
    stored = read_fingerprint(settings)
    return (
        core_model_path(settings).is_file()
        and stored is not None
        and stored.get("fingerprint") == assistant_fingerprint(settings)
    )


def train_core(
    settings: Settings,
    force: bool = False,
    progress: Progress | None = None,
    *,
    timeout: float = 1800.0,
) -> Path:
    """Run ``rasa train core`` unless the current model already matches the assistant.

    Training writes into a temporary folder next to the model and then replaces the model
    atomically, so a running server never sees a half-written file and a failed run keeps
    the previous model. Concurrent callers are serialised with a lock file.

    Args:
        settings: calmdesk settings (``rasa_project_dir``, ``rasa_venv``, ``model_dir``).
        force: Train even if the fingerprint is unchanged.
        progress: Called with each status line and each line Rasa prints.
        timeout: Seconds before the training process is killed.

    Returns:
        Path of the model archive (``<model_dir>/rasa/calmdesk-core.tar.gz``).

    Raises:
        RasaNotInstalledError: The Rasa environment is missing.
        RasaTrainingError: Rasa failed, timed out or produced no model.
    """
    say = progress or (lambda _line: None)
    rasa = rasa_executable(settings)
    project = settings.path(settings.rasa_project_dir)
    out_dir = rasa_model_dir(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = out_dir / MODEL_FILE

    with _exclusive_lock(out_dir / ".train.lock"):
        fingerprint = assistant_fingerprint(settings)
        stored = read_fingerprint(settings)
        if not force and model.is_file() and stored and stored.get("fingerprint") == fingerprint:
            say(f"Rasa model is up to date: {model}")
            return model

        say(f"Training the Rasa dialogue model ({project}) ...")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".train-") as tmp:
            argv = [
                str(rasa),
                "train",
                "core",
                "--config",
                str(project / "config.yml"),
                "--domain",
                str(_domain_path(project)),
                "--stories",
                str(project / "data"),
                "--out",
                tmp,
                "--fixed-model-name",
                MODEL_NAME,
            ]
            env = rasa_subprocess_env(venv=rasa_venv_dir(settings))
            # Rasa's graph cache is useless for core-only models; keep it out of the tree.
            env.setdefault("RASA_CACHE_DIRECTORY", str(Path(tmp) / "cache"))
            env.setdefault("RASA_MAX_CACHE_SIZE", "0")
            _run_streaming(argv, env=env, cwd=Path(tmp), progress=say, timeout=timeout)
            produced = Path(tmp) / MODEL_FILE
            if not produced.is_file():
                raise RasaTrainingError(
                    f"`rasa train core` finished but wrote no model at {produced}"
                )
            os.replace(produced, model)

        seconds = time.monotonic() - started
        _write_json_atomically(
            out_dir / FINGERPRINT_FILE,
            {
                "fingerprint": fingerprint,
                "rasa_version": rasa_version(settings),
                "model": MODEL_FILE,
                "project_dir": str(project),
                "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "train_seconds": round(seconds, 2),
            },
        )
        say(f"Rasa model trained in {seconds:.1f}s: {model}")
        return model


def _domain_path(project: Path) -> Path:
    """Return ``domain.yml`` or, for a split domain, the ``domain/`` folder."""
    single = project / "domain.yml"
    return single if single.exists() else project / "domain"


def _run_streaming(
    argv: list[str], *, env: dict[str, str], cwd: Path, progress: Progress, timeout: float
) -> None:
    """Run ``argv``, passing each output line to ``progress``; raise on failure."""
    tail: deque[str] = deque(maxlen=80)
    timed_out = threading.Event()
    with subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        text=True,
        errors="replace",
    ) as proc:

        def kill() -> None:
            timed_out.set()
            proc.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = _ANSI_ESCAPE.sub("", raw).rstrip()
                if line and not _PROGRESS_BAR.search(line):
                    tail.append(line)
                    progress(line)
            returncode = proc.wait()
        except BaseException:
            proc.kill()  # e.g. Ctrl+C or a failing progress callback: do not leave Rasa running
            raise
        finally:
            watchdog.cancel()
    if timed_out.is_set():
        raise RasaTrainingError(f"`rasa train core` timed out after {timeout:.0f}s")
    if returncode != 0:
        output = "\n".join(tail)
        raise RasaTrainingError(f"`rasa train core` failed (exit {returncode}):\n{output}")


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the duration of the block."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
