"""Run a child process under supervision: start, log, wait until healthy, stop.

:class:`ManagedProcess` is shared by the integration tests and the ``calmdesk serve all``
supervisor. The child runs in its own session (process group) so that stopping it also stops
anything it spawned; its stdout and stderr go to a log file (by default
``<var_dir>/logs/<name>.log``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx


class ProcessError(Exception):
    """Base class for errors raised while supervising a child process."""


class ProcessExitedError(ProcessError):
    """The process exited (or was never started) while it was expected to run."""


class ProcessNotHealthyError(ProcessError):
    """The process did not answer its health check in time."""


def default_log_path(name: str) -> Path:
    """Return ``<var_dir>/logs/<name>.log`` for the current settings.

    Args:
        name: Process name used as the file stem.

    Returns:
        The log file path (its directory is created on start, not here).
    """
    from bot.settings import get_settings

    settings = get_settings()
    return settings.path(settings.var_dir) / "logs" / f"{name}.log"


class ManagedProcess:
    """A supervised child process with a log file and an HTTP health check.

    Example:
        >>> proc = ManagedProcess("nlu", ["calmdesk", "serve", "nlu"],
        ...                       health_url="http://127.0.0.1:5006/health")
        >>> with proc:                      # doctest: +SKIP
        ...     proc.wait_healthy(timeout=120)
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_path: Path | None = None,
        health_url: str | None = None,
        inherit_env: bool = True,
    ) -> None:
        """Describe the process; nothing is started until :meth:`start`.

        Args:
            name: Short name used in messages and for the default log file.
            argv: Program and arguments.
            env: Environment variables for the child. With ``inherit_env`` they are
                added to (and override) the parent's environment; otherwise they are
                the whole environment.
            cwd: Working directory of the child (default: the parent's).
            log_path: Where stdout and stderr are appended; default
                ``<var_dir>/logs/<name>.log``.
            health_url: URL that answers 200 once the process is ready.
            inherit_env: Whether the child starts from the parent's environment.
        """
        self.name = name
        self.argv = [os.fspath(arg) for arg in argv]
        self.env = dict(env or {})
        self.cwd = cwd
        self.health_url = health_url
        self.inherit_env = inherit_env
        self._log_path = log_path
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._log_offset = 0
        self.started_at: float | None = None

    @property
    def log_path(self) -> Path:
        """The log file of this process."""
        if self._log_path is None:
            self._log_path = default_log_path(self.name)
        return self._log_path

    @property
    def pid(self) -> int | None:
        """Process id of the running (or finished) child, ``None`` before start."""
        return self._popen.pid if self._popen else None

    @property
    def returncode(self) -> int | None:
        """Exit status once the child has exited, else ``None``."""
        return self._popen.poll() if self._popen else None

    def is_running(self) -> bool:
        """Return whether the child has been started and has not exited."""
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> Self:
        """Start the child with its output appended to :attr:`log_path`.

        Returns:
            This object, to allow ``proc = ManagedProcess(...).start()``.

        Raises:
            ProcessError: The process is already running or cannot be started.
        """
        if self.is_running():
            raise ProcessError(f"{self.name} is already running (pid {self.pid})")
        env = {**os.environ, **self.env} if self.inherit_env else dict(self.env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log_file.write(f"=== {stamp} start {self.name}: {' '.join(self.argv)}\n".encode())
        log_file.flush()
        self._log_offset = log_file.tell()
        try:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )
        except OSError as exc:
            log_file.close()
            raise ProcessError(f"cannot start {self.name}: {exc}") from exc
        self._log_file = log_file
        self.started_at = time.monotonic()
        atexit.register(self.stop)
        return self

    def wait_healthy(
        self,
        timeout: float = 60.0,
        *,
        url: str | None = None,
        interval: float = 0.2,
        accept: Callable[[httpx.Response], bool] | None = None,
    ) -> float:
        """Poll the health URL until it answers, failing fast if the child exits.

        Args:
            timeout: Seconds to wait in total.
            url: URL to poll (default: the ``health_url`` given at construction).
            interval: Seconds between attempts.
            accept: Decides whether a response means healthy (default: status 200).

        Returns:
            Seconds from :meth:`start` until the process was healthy.

        Raises:
            ProcessExitedError: The child exited before it became healthy.
            ProcessNotHealthyError: No accepted answer within ``timeout``.
            ValueError: No health URL is known.
        """
        target = url or self.health_url
        if not target:
            raise ValueError(f"{self.name}: no health URL to wait for")
        is_ok = accept or (lambda response: response.status_code == 200)
        deadline = time.monotonic() + timeout
        last_problem = "no answer yet"
        with httpx.Client(timeout=min(5.0, max(timeout, 0.1))) as client:
            while True:
                if not self.is_running():
                    raise ProcessExitedError(
                        f"{self.name} exited with status {self.returncode} before it was "
                        f"healthy; log {self.log_path}:\n{self.log_tail()}"
                    )
                try:
                    response = client.get(target)
                    if is_ok(response):
                        return time.monotonic() - (self.started_at or time.monotonic())
                    last_problem = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last_problem = f"{type(exc).__name__}: {exc}"
                if time.monotonic() >= deadline:
                    raise ProcessNotHealthyError(
                        f"{self.name} not healthy at {target} after {timeout:.0f}s "
                        f"({last_problem}); log {self.log_path}:\n{self.log_tail()}"
                    )
                time.sleep(interval)

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the child and its process group: SIGTERM, then SIGKILL after ``timeout``.

        Safe to call more than once and on a process that already exited.

        Args:
            timeout: Seconds to wait after SIGTERM before sending SIGKILL.

        Returns:
            The exit status, or ``None`` if the process was never started.
        """
        popen = self._popen
        if popen is None:
            return None
        atexit.unregister(self.stop)
        if popen.poll() is None:
            self._signal_group(popen.pid, signal.SIGTERM)
            try:
                popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(popen.pid, signal.SIGKILL)
                popen.wait(timeout=timeout)
        else:
            # The leader is gone; make sure nothing it spawned lingers.
            self._signal_group(popen.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return popen.returncode

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        """Send ``sig`` to the process group led by ``pid`` (the child we started)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    def log_tail(self, max_lines: int = 60) -> str:
        """Return the last lines this run wrote to the log file.

        Args:
            max_lines: Maximum number of lines to return.

        Returns:
            The lines, joined; empty if nothing was written.
        """
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(self._log_offset)
                lines = deque(handle, maxlen=max_lines)
        except OSError:
            return ""
        return b"".join(lines).decode("utf-8", errors="replace")

    def rss_bytes(self, include_children: bool = True) -> int:
        """Return the resident memory of the child (and, by default, its descendants).

        Args:
            include_children: Add the RSS of every descendant process.

        Returns:
            Bytes of resident memory; 0 when the process is not running.
        """
        import psutil

        if not self.is_running() or self.pid is None:
            return 0
        try:
            proc = psutil.Process(self.pid)
            procs = [proc, *proc.children(recursive=True)] if include_children else [proc]
            total = 0
            for item in procs:
                with contextlib.suppress(psutil.Error):
                    total += item.memory_info().rss
            return total
        except psutil.Error:
            return 0

    def __enter__(self) -> Self:
        """Start the process (unless already running) and return it."""
        if not self.is_running():
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the process."""
        self.stop()

    def __repr__(self) -> str:
        """Describe the process and its state."""
        state = "running" if self.is_running() else f"exit={self.returncode}"
        return f"ManagedProcess({self.name!r}, pid={self.pid}, {state})"
