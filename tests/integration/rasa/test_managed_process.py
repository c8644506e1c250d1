"""bot.process.ManagedProcess with real (tiny) child processes on loopback."""

from __future__ import annotations

import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from bot.process import ManagedProcess, ProcessExitedError, ProcessNotHealthyError


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_server(tmp_path: Path, port: int) -> ManagedProcess:
    """A child running ``python -m http.server`` on loopback."""
    return ManagedProcess(
        "http",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        log_path=tmp_path / "logs" / "http.log",
        health_url=f"http://127.0.0.1:{port}/",
        env={"PYTHONUNBUFFERED": "1"},
    )


def test_start_wait_stop(tmp_path: Path) -> None:
    """The child becomes healthy, logs to its file, uses memory and stops on SIGTERM."""
    proc = http_server(tmp_path, free_port())
    with proc:
        seconds = proc.wait_healthy(timeout=30)
        assert 0 < seconds < 30
        assert proc.is_running()
        assert proc.rss_bytes() > 1_000_000
        pid = proc.pid
    assert not proc.is_running()
    assert proc.returncode == -signal.SIGTERM
    assert pid is not None
    log = proc.log_path.read_text()
    assert log.startswith("=== ") and "start http" in log
    assert "GET / " in log  # the health check, as logged by the child
    assert proc.stop() == -signal.SIGTERM  # stopping twice is harmless


def test_exit_before_healthy_reports_the_log(tmp_path: Path) -> None:
    """A child that dies is reported at once, with the end of its output."""
    proc = ManagedProcess(
        "dies",
        [sys.executable, "-c", "import sys; print('cannot bind: port in use'); sys.exit(3)"],
        log_path=tmp_path / "dies.log",
        health_url="http://127.0.0.1:9/health",
    )
    with proc, pytest.raises(ProcessExitedError, match="cannot bind") as info:
        proc.wait_healthy(timeout=30)
    assert "status 3" in str(info.value)


def test_not_healthy_in_time(tmp_path: Path) -> None:
    """A child that never answers fails with ProcessNotHealthyError after the timeout."""
    proc = ManagedProcess(
        "silent",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        log_path=tmp_path / "silent.log",
        health_url=f"http://127.0.0.1:{free_port()}/",
    )
    with proc, pytest.raises(ProcessNotHealthyError, match="not healthy"):
        proc.wait_healthy(timeout=0.5, interval=0.05)


def test_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    """A child ignoring SIGTERM is killed after the grace period."""
    ready = tmp_path / "ready"
    code = (
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    proc = ManagedProcess("stubborn", [sys.executable, "-c", code], log_path=tmp_path / "s.log")
    proc.start()
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.stop(timeout=0.3) == -signal.SIGKILL


def test_children_of_the_child_are_stopped(tmp_path: Path) -> None:
    """Stopping signals the whole process group, so grandchildren do not linger."""
    import psutil

    port = free_port()
    code = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-m', 'http.server', '{port}', "
        "'--bind', '127.0.0.1']); time.sleep(60)"
    )
    proc = ManagedProcess(
        "parent",
        [sys.executable, "-c", code],
        log_path=tmp_path / "parent.log",
        health_url=f"http://127.0.0.1:{port}/",
    )
    proc.start()
    proc.wait_healthy(timeout=30)
    assert proc.pid is not None
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children
    proc.stop()
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive
