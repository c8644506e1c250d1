"""The plain ASGI ``/model/parse`` path answers exactly what the FastAPI route answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from bot.nlu.retrieval import CatalogueIndex
from bot.nlu.schemas import Affect, IntentScore, ParseResult
from bot.nlu.service import NLUApp, create_app
from bot.settings import PROJECT_ROOT, Settings


class FakePipeline:
    """The pipeline interface the service uses: ``parse_batch`` and ``info``."""

    info = SimpleNamespace(model_version="fake-1")

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def parse_batch(self, texts: Sequence[str]) -> list[ParseResult]:
        self.parsed += texts
        return [
            ParseResult(
                text=text,
                intent=IntentScore(name="greet", confidence=0.9),
                intent_ranking=[IntentScore(name="greet", confidence=0.9)],
                entities=[],
                affect=Affect(
                    anger=0.1,
                    sentiment=0.2,
                    label="calm",
                    emotions={"joy": 0.5},
                    cues=[],
                    model_anger=0.1,
                    intensity=0.1,
                ),
            )
            for text in texts
        ]


def no_index() -> CatalogueIndex:
    raise RuntimeError("not needed here")


@pytest.fixture
def app() -> Iterator[tuple[NLUApp, TestClient, FakePipeline]]:
    pipeline = FakePipeline()
    settings = Settings(nlu_cache_size=0, nlu_token="s3cret", nlu_max_body_bytes=2048)
    application = create_app(settings, loader=lambda: pipeline, index_loader=no_index)
    with TestClient(application) as client:
        yield application, client, pipeline


BODIES = [
    (b'{"text": " hello there ", "token": "s3cret"}', "", 200),
    (b'{"text": "hello"}', "?token=s3cret", 200),
    (b'{"text": "hello", "token": "wrong"}', "", 401),
    (b'{"text": "hello"}', "", 401),
    (b'{"text": ""}', "", 422),
    (b"\xc3\x28", "", 400),
    (b"{not json", "", 400),
    (b'{"text": ["a"]}', "", 422),
    (b'"just a string"', "", 422),
    (b'{"text": "' + b"x" * 3000 + b'"}', "", 413),
]


@pytest.mark.parametrize(("body", "query", "status"), BODIES)
def test_fast_path_and_fastapi_route_answer_the_same(
    app: tuple[NLUApp, TestClient, FakePipeline], body: bytes, query: str, status: int
) -> None:
    application, client, _ = app
    assert application.fast_parse is not None  # started: the plain ASGI path serves
    fast = client.post(f"/model/parse{query}", content=body)
    serve_fast = application.fast_parse
    application.fast_parse = None  # the FastAPI route
    try:
        routed = client.post(f"/model/parse{query}", content=body)
    finally:
        application.fast_parse = serve_fast
    assert fast.status_code == routed.status_code == status
    assert fast.json() == routed.json()
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    if status == 200:
        assert fast.content == routed.content
        assert fast.json()["text"] in {"hello there", "hello"}
    else:
        assert set(fast.json()) == {"error", "reason"}


def test_fast_path_runs_the_model_and_leaves_other_routes_to_fastapi(
    app: tuple[NLUApp, TestClient, FakePipeline],
) -> None:
    _, client, pipeline = app
    reply = client.post("/model/parse?token=s3cret", json={"text": "where is my order"})
    assert reply.json()["affect"]["label"] == "calm"
    assert pipeline.parsed[-1] == "where is my order"
    assert client.get("/model/parse").status_code == 405
    assert client.get("/health").json()["parsed"] >= 1


BLAS_PROBE = """
import json, threading
from threadpoolctl import threadpool_info
from fastapi.testclient import TestClient
from bot.nlu.service import create_app
from bot.settings import Settings
from tests.unit.nlu.test_parse_fast_path import FakePipeline, no_index

def blas():
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})

seen = []
class Recording(FakePipeline):
    def parse_batch(self, texts):
        if threading.current_thread().name.startswith("nlu-model"):  # not the warm-up
            seen.append(blas())
        return super().parse_batch(texts)

before = blas()
pipeline = Recording()
with TestClient(create_app(Settings(), loader=lambda: pipeline, index_loader=no_index)) as c:
    status = c.post("/model/parse", json={"text": "hello"}).status_code
print(json.dumps([before, seen, status]))
"""


def test_the_model_threads_keep_numpy_blas_on_one_thread() -> None:
    # A fresh process: OpenBLAS's thread setting is process state that other tests change.
    done = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "2"},
    )
    before, seen, status = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == [2], "the probe must start with a multi-threaded BLAS"
    assert status == 200 and seen and all(threads == [1] for threads in seen)
