"""The benchmark commands (``calmdesk bench nlu | rasa-boot | stack``), each writing a report.

:func:`register` adds them to the ``calmdesk bench`` Typer group; heavy imports stay inside the
commands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from bot.settings import get_settings


def register(bench_app: typer.Typer, echo: Callable[[str], None]) -> None:
    """Add ``nlu``, ``rasa-boot`` and ``stack`` to ``bench_app``.

    Args:
        bench_app: The ``calmdesk bench`` Typer group.
        echo: Prints a line for the user (the CLI's console, without markup).
    """

    @bench_app.command("nlu")
    def bench_nlu(
        duration: float = typer.Option(20.0, help="Seconds per load level."),
        out: Path | None = typer.Option(None, help="Report directory (default: reports/)."),
    ) -> None:
        """Benchmark the NLU service (fixed-rate and saturation), write JSON + markdown."""
        from bot.nlu.bench import run_benchmark

        settings = get_settings()
        run_benchmark(
            settings, out or settings.path(settings.reports_dir), duration, Console(stderr=True)
        )

    @bench_app.command("rasa-boot")
    def bench_rasa_boot(
        conversations: int = typer.Option(40, help="Scripted conversations per mode."),
        out: Path | None = typer.Option(None, help="Report directory (default: reports/)."),
    ) -> None:
        """Rasa's CPU per message, stock vs rasa_boot's speed-ups: reports/bench-rasa-boot.*."""
        from bot.rasa_runtime import train_core
        from bot.rasa_runtime.boot_bench import bench_rasa_boot as run_bench

        settings = get_settings()
        report = run_bench(
            settings,
            train_core(settings),
            out or settings.path(settings.reports_dir),
            conversations,
        )
        echo(
            f"stock {report['stock']['cpu_ms_per_msg']} ms CPU/msg, rasa_boot "
            f"{report['boot']['cpu_ms_per_msg']} ms ({report['cpu_ratio']}x); same conversations: "
            f"{report['same_conversations']}"
        )

    @bench_app.command("stack")
    def bench_stack(
        duration: float = typer.Option(20.0, help="Seconds per load level."),
        out: Path | None = typer.Option(None, help="Report directory (default: reports/)."),
        target: list[str] = typer.Option(
            [], help="Only these targets: stock-rasa, calmdesk-rasa, calmdesk-gateway (repeatable)."
        ),
        prepare: bool = typer.Option(
            False, help="Only train (or find cached) the stock Rasa model, then exit."
        ),
        stock_model: Path | None = typer.Option(
            None,
            exists=True,
            dir_okay=False,
            help="Use this trained stock Rasa model (the report says if it is not the one for the "
            "current nlu_data).",
        ),
        rounds: int = typer.Option(
            1,
            min=1,
            max=10,
            help="Measure 8 senders this many times (targets restarted each round): the report "
            "gives the goal round by round and the spread of the ratios.",
        ),
    ) -> None:
        """Whole stack vs stock Rasa 3.6, same script, same run: reports/bench-stack.{json,md}."""
        from bot.stackbench.bench import ALL_TARGETS, run_stack_benchmark
        from bot.stackbench.errors import StackBenchError
        from bot.stackbench.stock_rasa import ensure_stock_model

        settings = get_settings()
        unknown = sorted(set(target) - set(ALL_TARGETS))
        if unknown:
            raise typer.BadParameter(f"unknown target(s) {unknown}; choose from {ALL_TARGETS}")

        try:
            if prepare:
                ensure_stock_model(settings, echo)
                return
            run_stack_benchmark(
                settings,
                out or settings.path(settings.reports_dir),
                duration,
                tuple(target) or ALL_TARGETS,
                echo,
                stock_model,
                rounds,
            )
        except StackBenchError as exc:
            echo(str(exc))
            raise typer.Exit(1) from exc
