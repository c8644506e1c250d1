"""docker-compose.yml and the Dockerfiles it builds are consistent with the repository.

Structural checks always run; ``docker compose config`` runs only where the docker client and
its compose plugin exist (it says so when it skips).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml

from bot.cli import app as cli_app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENDPOINTS_FILE = ROOT / "bot" / "assistant" / "endpoints.yml"

LONG_RUNNING = {"gateway", "nlu", "rasa", "actions", "postgres", "redis"}
ONE_SHOT = {"migrate"}
APP_SERVICES = {"gateway", "actions", "migrate"}  # share the app database
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SECRETS = {"POSTGRES_PASSWORD": "pw", "CALMDESK_GATEWAY_SECRET_KEY": "k" * 32}


def compose() -> dict[str, Any]:
    """The parsed compose file."""
    parsed: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))
    return parsed


def services() -> dict[str, dict[str, Any]]:
    """The services of the compose file."""
    result: dict[str, dict[str, Any]] = compose()["services"]
    return result


def build_of(service: dict[str, Any]) -> tuple[Path, Path] | None:
    """Return ``(context, dockerfile)`` of a service built from this repository."""
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, context / build.get("dockerfile", "Dockerfile")


def built_services() -> list[str]:
    """Names of the services built from a Dockerfile of this repository."""
    return sorted(name for name, service in services().items() if build_of(service))


def substitute_defaults(value: str) -> str:
    """Resolve ``${VAR:-default}`` to its default and ``${VAR}``/``${VAR:?msg}`` to ``VAR``."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", r"\1", value)


def test_production_topology() -> None:
    """The gateway, NLU, Rasa, action server, their stores, and the one-shot migration."""
    assert set(services()) == LONG_RUNNING | ONE_SHOT


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_every_long_running_service_has_a_healthcheck(name: str) -> None:
    """Each process says how to tell that it is healthy, and restarts when it dies."""
    service = services()[name]
    check = service.get("healthcheck")
    assert check, f"{name} has no healthcheck"
    assert not check.get("disable", False)
    test = check["test"]
    assert test and test[0] in {"CMD", "CMD-SHELL"}, test
    assert service.get("restart") == "unless-stopped"


def test_migration_runs_once() -> None:
    """The migration is a one-shot job: never restarted, awaited by the app services."""
    migrate = services()["migrate"]
    assert migrate.get("restart") == "no"
    assert migrate["command"][:2] == ["calmdesk", "seed"]


@pytest.mark.parametrize("name", sorted(services()))
def test_build_context_and_dockerfile_exist(name: str) -> None:
    """Built services point at a real context and Dockerfile; others use an image."""
    service = services()[name]
    built = build_of(service)
    if built is None:
        assert service.get("image"), f"{name} has neither build nor image"
        return
    context, dockerfile = built
    assert context.is_dir(), context
    assert dockerfile.is_file(), dockerfile
    assert ROOT in [context, *context.parents], f"{name} builds outside the repository"
    # BuildKit reads <Dockerfile>.dockerignore; without it the whole checkout (virtual
    # environments included) would be sent as context.
    assert dockerfile.with_name(dockerfile.name + ".dockerignore").is_file()


@pytest.mark.parametrize("name", built_services())
def test_dockerfile_copy_sources_are_in_the_repository(name: str) -> None:
    """Every COPY source of our Dockerfiles exists, except build outputs made beforehand."""
    made_before_build = {"requirements/app.lock", "models/nlu/", "README.md"}
    built = build_of(services()[name])
    assert built is not None
    context, dockerfile = built
    copies = [
        line for line in dockerfile.read_text("utf-8").splitlines() if line.startswith("COPY ")
    ]
    assert copies, f"{dockerfile.name} copies nothing"
    for line in copies:
        sources = [arg for arg in line.split()[1:-1] if not arg.startswith("--")]
        for source in sources:
            if source in made_before_build:
                continue
            assert (context / source).exists(), f"{dockerfile.name}: {source}"


@pytest.mark.parametrize("name", built_services())
def test_dockerignore_lets_the_copied_sources_in(name: str) -> None:
    """An allow-list .dockerignore (``*`` first) must re-include every COPY source."""
    built = build_of(services()[name])
    assert built is not None
    _, dockerfile = built
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore").read_text("utf-8")
    rules = [r for r in ignore.splitlines() if r.strip() and not r.startswith("#")]
    if rules[0] != "*":
        return
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    for line in dockerfile.read_text("utf-8").splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                top = source.rstrip("/")
                assert any(top == a or top.startswith(a + "/") for a in allowed), (
                    f"{dockerfile.name}: {source} is excluded by its .dockerignore"
                )


def _dockerfile_cmd(dockerfile: Path) -> list[str]:
    """The exec-form CMD of a Dockerfile (continuation lines joined)."""
    text = dockerfile.read_text("utf-8").replace("\\\n", " ")
    match = re.search(r"^CMD (\[.*\])\s*$", text, re.MULTILINE)
    assert match, f"{dockerfile.name} has no exec-form CMD"
    command: list[str] = json.loads(match.group(1))
    return command


@pytest.mark.parametrize("name", sorted(APP_SERVICES | {"nlu"}))
def test_calmdesk_commands_and_options_exist(name: str) -> None:
    """The command each app container runs is a real ``calmdesk`` command with real options."""
    service = services()[name]
    built = build_of(service)
    assert built is not None
    argv = service.get("command") or _dockerfile_cmd(built[1])
    assert argv[0] == "calmdesk", argv
    command: Any = typer.main.get_command(cli_app)  # typer vendors its own click
    words = [w for w in argv[1:] if not w.startswith("-")]
    path: list[str] = []
    for word in words:
        if not hasattr(command, "commands"):
            break
        if word not in command.commands:
            if path[:1] == ["serve"]:
                pytest.skip(f"`calmdesk serve {word}` is not in this checkout yet ({name})")
            pytest.fail(f"{name}: `calmdesk {' '.join([*path, word])}` does not exist")
        command = command.commands[word]
        path.append(word)
    options = {opt for param in command.params for opt in param.opts}
    for flag in (w for w in argv if w.startswith("--")):
        assert flag in options, f"{name}: `calmdesk {' '.join(path)}` has no {flag}"


def test_depends_on_names_real_services_with_valid_conditions() -> None:
    """Every dependency exists, has a condition, and ``service_healthy`` has a healthcheck."""
    all_services = services()
    for name, service in all_services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in all_services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            assert condition in CONDITIONS, f"{name} -> {dependency}: {condition}"
            if condition == "service_healthy":
                assert all_services[dependency].get("healthcheck"), (name, dependency)
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOT, (name, dependency)


def test_no_dependency_cycles() -> None:
    """Compose refuses cyclic depends_on; check the start order exists."""
    graph = {n: set(s.get("depends_on") or {}) for n, s in services().items()}
    started: set[str] = set()
    while len(started) < len(graph):
        ready = {n for n, deps in graph.items() if n not in started and deps <= started}
        assert ready, f"dependency cycle among {sorted(set(graph) - started)}"
        started |= ready


def test_gateway_starts_after_everything_it_calls() -> None:
    """The gateway waits for the migration, stores, NLU, Rasa and the action server."""
    depends = services()["gateway"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "redis", "nlu", "rasa", "actions"):
        assert depends[name]["condition"] == "service_healthy", name


def test_rasa_service_sets_every_endpoint_variable() -> None:
    """Rasa refuses to start when a ${VAR} of endpoints.yml is unset."""
    text = "\n".join(
        line
        for line in ENDPOINTS_FILE.read_text("utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    needed = set(re.findall(r"\$\{(\w+)\}", text))
    assert needed
    assert needed <= set(services()["rasa"]["environment"])
    rasa_dockerfile = (ROOT / "docker" / "rasa.Dockerfile").read_text("utf-8")
    for name in needed:
        assert f"{name}=" in rasa_dockerfile, f"rasa.Dockerfile has no default for {name}"


def test_rasa_uses_postgres_and_redis_in_production() -> None:
    """The tracker store is SQL on the compose PostgreSQL; locks live in Redis."""
    env = services()["rasa"]["environment"]
    assert env["CALMDESK_RASA_TRACKER_STORE"] == "SQL"
    assert "@postgres:5432/" in env["CALMDESK_RASA_TRACKER_STORE_URL"]
    assert env["CALMDESK_RASA_LOCK_STORE"] == "redis"
    assert env["CALMDESK_RASA_LOCK_STORE_HOST"] == "redis"
    depends = services()["rasa"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"


def test_app_and_rasa_share_one_postgres_server() -> None:
    """The app services use one database; Rasa's tracker store is on the same server."""
    urls = {
        name: substitute_defaults(services()[name]["environment"]["CALMDESK_DATABASE_URL"])
        for name in APP_SERVICES
    }
    assert len(set(urls.values())) == 1, urls
    app = urlsplit(next(iter(urls.values())))
    assert app.scheme == "postgresql+psycopg"
    tracker = urlsplit(
        substitute_defaults(services()["rasa"]["environment"]["CALMDESK_RASA_TRACKER_STORE_URL"])
    )
    assert tracker.scheme == "postgresql"  # Rasa's SQLAlchemy 1.4 + psycopg2
    assert (tracker.hostname, tracker.port) == (app.hostname, app.port) == ("postgres", 5432)
    assert tracker.path != app.path  # its own database: `events` never mixes with app tables
    init = (ROOT / "docker/postgres/init-rasa-db.sql").read_text("utf-8")
    assert f"CREATE DATABASE {tracker.path.strip('/')};" in init


@pytest.mark.parametrize("name", sorted(APP_SERVICES | {"nlu"}))
def test_app_services_run_in_production_mode_with_known_settings(name: str) -> None:
    """CALMDESK_MODE=production, and every CALMDESK_ variable is a real settings field."""
    env = services()[name]["environment"]
    assert env["CALMDESK_MODE"] == "production"
    fields = {f"CALMDESK_{field.upper()}" for field in Settings.model_fields}
    unknown = {var for var in env if var.startswith("CALMDESK_") and var not in fields}
    assert not unknown, f"{name}: not settings of bot/settings.py: {sorted(unknown)}"


def test_only_the_gateway_is_published_on_loopback() -> None:
    """One public process; nothing exposed beyond the host's loopback interface."""
    published = {name for name, service in services().items() if service.get("ports")}
    assert published == {"gateway"}
    for port in services()["gateway"]["ports"]:
        assert str(port).startswith("127.0.0.1:"), port
        assert str(port).endswith(":8000")


def test_backend_network_is_internal_and_only_the_gateway_leaves_it() -> None:
    """Stores and internal services sit on an internal network; the gateway bridges out."""
    networks = compose()["networks"]
    assert networks["backend"]["internal"] is True
    for name, service in services().items():
        attached = set(service.get("networks") or [])
        assert "backend" in attached, name
        outside = {n for n in attached if not (networks.get(n) or {}).get("internal")}
        assert outside == ({"edge"} if name == "gateway" else set()), (name, outside)


def test_required_gateway_secret_has_no_default() -> None:
    """Tokens must not be signed with a key that ships in the repository."""
    value = services()["gateway"]["environment"]["CALMDESK_GATEWAY_SECRET_KEY"]
    assert re.fullmatch(r"\$\{CALMDESK_GATEWAY_SECRET_KEY:\?[^}]+\}", value), value


def _docker_compose() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed; `docker compose config` not run")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        reason = ((probe.stderr or probe.stdout).strip().splitlines() or ["no output"])[0]
        pytest.skip(
            f"the docker compose plugin is not available ({reason}); "
            "`docker compose config` not run"
        )
    return docker


def test_docker_compose_config_validates() -> None:
    """`docker compose config` accepts the file (only where the compose plugin exists)."""
    docker = _docker_compose()
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, **SECRETS},
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_config_refuses_a_missing_secret() -> None:
    """Without CALMDESK_GATEWAY_SECRET_KEY, compose stops with the message from the file."""
    docker = _docker_compose()
    env = {**os.environ, "POSTGRES_PASSWORD": "pw"}
    env.pop("CALMDESK_GATEWAY_SECRET_KEY", None)
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode != 0
    assert "CALMDESK_GATEWAY_SECRET_KEY" in result.stderr
