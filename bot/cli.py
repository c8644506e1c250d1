"""The ``calmdesk`` command line: train, evaluate, serve, seed and bench."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bot.settings import Settings, get_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(help="calmdesk: customer-service assistant with an emotional circuit breaker.")
evaluate_app = typer.Typer(help="Evaluate models and write reports.")
serve_app = typer.Typer(help="Run services.")
bench_app = typer.Typer(help="Benchmarks that write reports.")
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(serve_app, name="serve")
app.add_typer(bench_app, name="bench")
agent_app = typer.Typer(help="Human agents of the gateway.")
app.add_typer(agent_app, name="agent")
console = Console(stderr=True)


class Component(StrEnum):
    """What to train."""

    nlu = "nlu"
    rasa = "rasa"
    all = "all"


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int, int], None]]:
    """Yield a ``(stage, done, total)`` callback that drives one rich progress bar per stage."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield update


def nlu_is_current(settings: Settings) -> bool:
    """Whether the saved NLU model was trained on the current nlu_data and configuration."""
    from bot.nlu.artefacts import load_meta
    from bot.nlu.errors import ModelNotTrainedError
    from bot.nlu.train import TrainConfig, data_fingerprint

    try:
        meta = load_meta(settings.nlu_model_dir)
    except ModelNotTrainedError:
        return False
    return meta.data_fingerprint == data_fingerprint(
        settings.path(settings.nlu_data_dir), TrainConfig()
    )


def _train_nlu(settings: Settings, force: bool, steps: int | None, device: str = "cpu") -> None:
    from bot.nlu.train import TrainConfig, train_nlu

    if not force and steps is None and nlu_is_current(settings):
        console.print(f"NLU model in {settings.nlu_model_dir} is up to date (use --force).")
        _export_nlu(settings)
        return
    config = TrainConfig(threads=settings.torch_threads, device=device)
    if steps is not None:
        config.steps = steps
    with progress_bars() as update:
        meta = train_nlu(
            settings.path(settings.nlu_data_dir),
            settings.path(settings.shared_data_dir),
            settings.nlu_model_dir,
            config,
            update,
        )
    console.print(
        f"NLU model saved to {settings.nlu_model_dir} in {meta.training['seconds']} s "
        f"(temperature {meta.temperature}, out-of-scope threshold {meta.oos_threshold})."
    )
    _export_nlu(settings)


def _torch_device(name: str) -> str:
    """Check a training device name; a clear error instead of a torch stack trace."""
    import torch

    if name == "cpu":
        return name
    if name.startswith("cuda") and torch.cuda.is_available():
        return name
    raise typer.BadParameter(
        f"device {name!r} is not available here (use cpu"
        + (", or cuda)" if torch.cuda.is_available() else "; torch sees no GPU)"),
        param_hint="--device",
    )


def _export_nlu(settings: Settings) -> None:
    from bot.nlu.onnx_export import ensure_exported, is_fresh

    if is_fresh(settings.nlu_model_dir):
        console.print("ONNX graphs for serving are up to date.")
        return
    with console.status("Exporting the serving graphs to ONNX…"):
        out = ensure_exported(settings.nlu_model_dir)
    console.print(f"ONNX graphs for serving: {out}")


def _train_rasa(settings: Settings, force: bool) -> None:
    from bot.rasa_runtime import train_core

    model = train_core(
        settings,
        force=force,
        progress=lambda line: console.print(line, markup=False, highlight=False),
    )
    console.print(f"Rasa model: {model}")


@app.command()
def train(
    component: Component = typer.Argument(Component.all, help="nlu, rasa or all"),
    force: bool = typer.Option(False, help="Retrain even when the data did not change."),
    steps: int | None = typer.Option(None, help="NLU training steps (default: as committed)."),
    device: str = typer.Option(
        "cpu", help="Where the NLU training steps run: cpu, or cuda on a machine with a GPU."
    ),
) -> None:
    """Train the NLU model and/or the Rasa dialogue model (only when their data changed)."""
    settings = get_settings()
    if component in (Component.nlu, Component.all):
        _train_nlu(settings, force, steps, _torch_device(device))
    if component in (Component.rasa, Component.all):
        _train_rasa(settings, force)


@evaluate_app.command("nlu")
def evaluate_nlu(
    diet: bool = typer.Option(
        False, help="Also (re)train Rasa's DIET (slow); else reuse reports/nlu-diet.json."
    ),
    out: Path | None = typer.Option(None, help="Report directory (default: reports/)."),
    goemotions_limit: int = typer.Option(0, help="Evaluate on the first N GoEmotions dev rows."),
) -> None:
    """Evaluate intents, out-of-scope and anger; write JSON + PNG reports."""
    from bot.nlu.evaluate import evaluate, print_summary

    settings = get_settings()
    report = evaluate(settings, out or settings.path(settings.reports_dir), diet, goemotions_limit)
    print_summary(report, console)


@evaluate_app.command("diet")
def evaluate_diet_cmd(
    out: Path | None = typer.Option(None, help="Report directory (default: reports/)."),
) -> None:
    """Train Rasa's default DIET pipeline on our split and write reports/nlu-diet.json."""
    from bot.nlu.evaluate import evaluate_diet

    settings = get_settings()
    result = evaluate_diet(settings, out or settings.path(settings.reports_dir))
    console.print(result)


@serve_app.command("nlu")
def serve_nlu(
    host: str = typer.Option(None, help="Bind address (default from settings)."),
    port: int = typer.Option(None, help="Port (default 5006)."),
) -> None:
    """Serve Rasa's NLU protocol (POST /model/parse) with affect."""
    import uvicorn

    from bot.nlu.service import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.nlu_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@serve_app.command("rasa")
def serve_rasa(
    port: int = typer.Option(None, help="Port (default 5005)."),
    nlu_url: str = typer.Option(None, help="NLU service URL (default http://host:5006)."),
) -> None:
    """Run the Rasa 3.6 dialogue manager (from .venv-rasa) against our NLU service."""
    from bot.rasa_runtime import rasa_run_command, train_core

    settings = get_settings()
    model = train_core(settings)
    argv, env = rasa_run_command(
        settings,
        model,
        port or settings.rasa_port,
        nlu_url or f"http://{settings.host}:{settings.nlu_port}",
    )
    os.execvpe(argv[0], argv, env)


@serve_app.command("actions")
def serve_actions(
    port: int = typer.Option(None, help="Port (default 5055)."),
) -> None:
    """Run the rasa-sdk action server with calmdesk's custom actions (actions/)."""
    from bot.actions_server import actions_command
    from bot.settings import PROJECT_ROOT

    settings = get_settings()
    argv, env = actions_command(settings, port or settings.actions_port)
    os.chdir(PROJECT_ROOT)
    os.execvpe(argv[0], argv, {**os.environ, **env})


@serve_app.command("gateway")
def serve_gateway(
    host: str = typer.Option(None, help="Bind address (default from settings)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
) -> None:
    """Run the gateway: REST + socket.io channels, ownership, agent API, case log."""
    import uvicorn

    from bot.breaker.wiring import build_breaker_hook
    from bot.gateway.app import create_app
    from bot.gateway.errors import GatewayConfigError
    from bot.gateway.logs import configure_json_logging
    from escalation.errors import PolicyError

    settings = get_settings()
    configure_json_logging(settings.log_level)
    try:
        gateway = create_app(settings, escalation_hook=build_breaker_hook(settings))
    except GatewayConfigError as exc:
        console.print(f"[red]{exc.reason}[/red]")
        raise typer.Exit(2) from exc
    except PolicyError as exc:
        console.print(f"escalation policy: {exc}", style="red", markup=False)
        raise typer.Exit(2) from exc
    uvicorn.run(
        gateway,
        host=host or settings.host,
        port=port or settings.gateway_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@agent_app.command("create")
def agent_create(
    username: str = typer.Argument(..., help="Login name."),
    display_name: str = typer.Option("", help="Name shown to colleagues."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Password."
    ),
) -> None:
    """Create a human agent for the gateway's agent API (argon2-hashed password)."""
    from bot.caselog.store import AgentExistsError, create_agent
    from bot.db import make_engine, upgrade_database

    settings = get_settings()
    upgrade_database(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        agent_id = create_agent(engine, username, password, display_name)
    except AgentExistsError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    console.print(f"agent {username!r} created (id {agent_id})")


@serve_app.command("all")
def serve_all() -> None:
    """Start every process on embedded defaults and print the URLs (Ctrl-C stops them)."""
    from bot.supervisor import run_all

    run_all(get_settings(), console)


@app.command()
def seed(
    seed_value: int = typer.Option(42, "--seed", help="Random seed (same seed, same shop)."),
    customers: int = typer.Option(220, help="Number of customers."),
    orders: int = typer.Option(1200, help="Number of orders."),
    if_empty: bool = typer.Option(False, help="Leave an already seeded shop untouched."),
) -> None:
    """Create the app database (migrations) and load the demo shop (replacing it)."""
    from bot.db import make_engine, session_factory, upgrade_database
    from bot.shop.seed import seed_demo_shop

    settings = get_settings()
    url = settings.sqlalchemy_url
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with progress_bars() as update:
            report = seed_demo_shop(
                session_factory(engine),
                seed=seed_value,
                customers=customers,
                orders=orders,
                replace=not if_empty,
                progress=update,
            )
    finally:
        engine.dispose()
    console.print(f"Seeded {url}: {report}")


def _echo(line: str) -> None:
    console.print(line, markup=False, highlight=False)


def _register_more_commands() -> None:
    from bot.bench_commands import register as register_bench
    from bot.breaker.commands import register as register_breaker

    register_bench(bench_app, _echo)
    register_breaker(app, progress_bars, _echo)


_register_more_commands()

if __name__ == "__main__":
    app()
