"""docker-compose.yml and the Dockerfiles it builds are consistent with the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENDPOINTS_FILE = ROOT / "bot" / "assistant" / "endpoints.yml"


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


def test_current_topology() -> None:
    """Only services that exist today: NLU, Rasa and their stores."""
    assert set(services()) == {"nlu", "rasa", "postgres", "redis"}


@pytest.mark.parametrize("name", sorted(services()))
def test_every_service_has_a_healthcheck(name: str) -> None:
    """Each service says how to tell that it is healthy."""
    check = services()[name].get("healthcheck")
    assert check, f"{name} has no healthcheck"
    assert not check.get("disable", False)
    test = check["test"]
    assert test and test[0] in {"CMD", "CMD-SHELL"}, test


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


def test_dockerfile_copy_sources_are_in_the_repository() -> None:
    """Every COPY source of our Dockerfiles exists, except build outputs made beforehand."""
    made_before_build = {"requirements/app.lock", "models/nlu/", "README.md"}
    for name in ("nlu", "rasa"):
        built = build_of(services()[name])
        assert built is not None
        context, dockerfile = built
        for line in dockerfile.read_text("utf-8").splitlines():
            if not line.startswith("COPY "):
                continue
            sources = [arg for arg in line.split()[1:-1] if not arg.startswith("--")]
            for source in sources:
                if source in made_before_build:
                    continue
                assert (context / source).exists(), f"{dockerfile.name}: {source}"


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


def test_published_ports_are_loopback_only() -> None:
    """Nothing is exposed beyond the host's loopback interface."""
    for name, service in services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_docker_compose_config_validates() -> None:
    """`docker compose config` accepts the file (only where the compose plugin exists)."""
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
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
