"""The breaker's CLI commands (``calmdesk simulate``, ``calmdesk report incident``).

:func:`register` adds them to the ``calmdesk`` Typer app; heavy imports stay inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import typer

ProgressBars = Callable[[], AbstractContextManager[Callable[[str, int, int], None]]]


def register(app: typer.Typer, progress_bars: ProgressBars, echo: Callable[[str], None]) -> None:
    """Add ``simulate`` and ``report incident`` to ``app``.

    Args:
        app: The ``calmdesk`` Typer app.
        progress_bars: The CLI's progress-bar context manager.
        echo: Prints a line for the user (the CLI's console).
    """
    report_app = typer.Typer(help="Reports over the app database.")
    app.add_typer(report_app, name="report")

    @app.command()
    def simulate(
        seed: int = typer.Option(0, help="traffic seed"),
        messages: int = typer.Option(10_000, help="messages to replay"),
        conversations: int | None = typer.Option(None, help="replay this many conversations"),
        incident: bool = typer.Option(True, help="inject an incident (DHL delay, 30% angry)"),
        angry_share: float = typer.Option(0.3, help="share of the cause's conversations angry"),
        database: str | None = typer.Option(
            None, help="database URL (default: a fresh SQLite file in var/simulate/)"
        ),
        seeds: int = typer.Option(
            0, help="multi-seed mode: detection figures over this many seeds (in memory)"
        ),
        out: Path = typer.Option(Path("reports"), help="report directory"),
        reset: bool = typer.Option(
            False, help="empty the breaker tables of --database first (they must be empty)"
        ),
    ) -> None:
        """Replay synthetic traffic through the real engine and SQL store; write reports."""
        from bot.breaker.errors import BreakerError
        from bot.breaker.simulate import SimulateOptions, prepare_database, run_seeds
        from bot.breaker.simulate import run_simulation as run
        from bot.breaker.simulate_report import write_seeds, write_simulation

        if seeds > 0:
            with progress_bars() as update:
                summary = run_seeds(range(seed, seed + seeds), messages, progress=update)
            paths = write_seeds(summary, out)
        else:
            options = SimulateOptions(
                seed=seed,
                messages=messages,
                conversations=conversations,
                incident=incident,
                angry_share=angry_share,
                database_url=database,
                reset=reset,
            )
            try:
                url = prepare_database(options)
            except BreakerError as error:
                echo(str(error))
                raise typer.Exit(code=2) from error
            with progress_bars() as update:
                report = run(options, url, update)
            paths = write_simulation(report, url, out)
        for path in paths:
            echo(f"wrote {path}")
        echo(paths[1].read_text("utf-8"))

    @report_app.command("incident")
    def report_incident(
        incident_id: str = typer.Argument(..., help="the incident id (breaker_incidents)"),
        database: str | None = typer.Option(None, help="database URL (default: the app's)"),
        out: Path = typer.Option(Path("reports"), help="report directory"),
    ) -> None:
        """Write the attribution report of an incident: JSON + PNG chart."""
        from bot.breaker.attribution import write_attribution
        from bot.breaker.errors import IncidentNotFound
        from bot.breaker.wiring import sql_escalation
        from bot.settings import get_settings

        system = sql_escalation(database or get_settings().sqlalchemy_url, incidents=False)
        try:
            paths = write_attribution(system.sessions, incident_id, out)
        except IncidentNotFound as error:
            echo(str(error))
            raise typer.Exit(code=2) from error
        finally:
            system.dispose()
        for path in paths:
            echo(f"wrote {path}")
