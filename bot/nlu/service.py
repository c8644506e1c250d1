"""The NLU service: Rasa's ``POST /model/parse``, catalogue search, ``/health``, ``/version``.

Rasa 3.6 uses it through ``endpoints.yml`` (``nlu: url:``). Bad input gets a 4xx JSON error
(``{"error": code, "reason": text}``), never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib.metadata import version as package_version
from typing import Any, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, ORJSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send
from threadpoolctl import threadpool_limits

from bot.nlu.batcher import MicroBatcher
from bot.nlu.errors import NLUError
from bot.nlu.pipeline import NLUPipeline
from bot.nlu.retrieval import CatalogueIndex, RetrievalEncoder
from bot.nlu.schemas import ParseRequest, SearchRequest, SearchResponse, SearchResultOut
from bot.settings import Settings

log = logging.getLogger("calmdesk.nlu")
PARSE_PATH = "/model/parse"
#: The options of FastAPI's ``ORJSONResponse``: the fast path answers byte for byte the same.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class RequestError(NLUError):
    """A client error, rendered as ``{"error": code, "reason": reason}`` with a 4xx status."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        """Create the error."""
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def _error(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason}, status_code=status)


def _sanitize(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()


def _json_object(body: bytes, settings: Settings) -> dict[str, Any]:
    if len(body) > settings.nlu_max_body_bytes:
        raise _too_large(settings.nlu_max_body_bytes)
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(400, "invalid_utf8", f"body is not valid UTF-8: {exc.reason}") from exc
    try:
        payload = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise RequestError(400, "malformed_json", f"body is not valid JSON: {exc.msg}") from exc
    if not isinstance(payload, dict):
        raise RequestError(422, "invalid_request", "body must be a JSON object")
    return payload


Model = TypeVar("Model", ParseRequest, SearchRequest)


def _validated(model: type[Model], payload: dict[str, Any]) -> Model:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise RequestError(422, "invalid_request", f"{field}: {first['msg']}") from exc


def parse_request_body(body: bytes, settings: Settings) -> ParseRequest:
    """Validate a raw ``/model/parse`` body.

    Raises:
        RequestError: with the status and reason for every kind of bad input.
    """
    request = _validated(ParseRequest, _json_object(body, settings))
    text = _sanitize(request.text)
    if not text:
        raise RequestError(422, "empty_text", "text is empty or whitespace only")
    if len(text) > settings.nlu_max_text_chars:
        raise RequestError(
            413,
            "text_too_long",
            f"text has {len(text)} characters; the limit is {settings.nlu_max_text_chars} "
            "(rejected, not truncated)",
        )
    return request.model_copy(update={"text": text})


def search_request_body(body: bytes, settings: Settings) -> SearchRequest:
    """Validate a raw ``/catalogue/search`` body.

    Raises:
        RequestError: with the status and reason for every kind of bad input.
    """
    request = _validated(SearchRequest, _json_object(body, settings))
    query = _sanitize(request.query)
    if not query:
        raise RequestError(422, "empty_query", "query is empty or whitespace only")
    return request.model_copy(update={"query": query})


def _check_token(query_token: str | None, given: str | None, settings: Settings) -> None:
    if settings.nlu_token and (query_token or given) != settings.nlu_token:
        raise RequestError(401, "unauthorized", "missing or wrong token")


async def parse_answer(
    body: bytes, query_token: str | None, batcher: MicroBatcher, settings: Settings
) -> bytes:
    """Answer one ``/model/parse`` body: the parse result as JSON bytes.

    Raises:
        RequestError: for bad input or a wrong token.
    """
    parsed = parse_request_body(body, settings)
    _check_token(query_token, parsed.token, settings)
    result = await batcher.parse(parsed.text)
    return orjson.dumps(result.model_dump(), option=_ORJSON_OPTIONS)


class NLUApp(FastAPI):
    """FastAPI, with ``POST /model/parse`` (every message, twice) answered as plain ASGI.

    The hot path skips routing, the middleware stack and the request object; it runs the same
    validation (:func:`parse_request_body`) and answers the same JSON, errors included. Every
    other request goes through FastAPI.
    """

    fast_parse: Callable[[bytes, str | None], Awaitable[bytes]] | None = None
    settings: Settings | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``POST /model/parse`` directly once started; hand the rest to FastAPI."""
        if (
            self.fast_parse is not None
            and scope["type"] == "http"
            and scope["path"] == PARSE_PATH
            and scope["method"] == "POST"
        ):
            await self._serve_parse(self.fast_parse, scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _serve_parse(
        self,
        fast_parse: Callable[[bytes, str | None], Awaitable[bytes]],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        assert self.settings is not None
        status = 200
        try:
            body = await _read_body(receive, self.settings.nlu_max_body_bytes)
            if body is None:
                return  # the client went away
            query = scope.get("query_string", b"")
            token = QueryParams(query).get("token") if query else None
            content = await fast_parse(body, token)
        except RequestError as exc:
            status = exc.status
            content = orjson.dumps({"error": exc.code, "reason": exc.reason})
        except Exception:
            log.exception("nlu.parse.failed")
            status = 500
            content = orjson.dumps({"error": "internal", "reason": "unexpected error"})
        headers = [
            (b"content-length", str(len(content)).encode("ascii")),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _too_large(limit: int) -> RequestError:
    return RequestError(413, "body_too_large", f"request body exceeds {limit} bytes")


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when the client disconnected.

    Raises:
        RequestError: 413 as soon as the body is known to exceed ``limit`` bytes.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def default_index_loader(settings: Settings) -> CatalogueIndex:
    """Embed the shop catalogue with the retrieval encoder (vectors cached under var/cache)."""
    from bot.shop.catalogue import load_catalogue

    encoder = RetrievalEncoder(settings.nlu_model_dir, threads=settings.torch_threads)
    return CatalogueIndex.build(
        load_catalogue(),
        encoder.encode,
        fingerprint=encoder.fingerprint,
        cache_dir=settings.path(settings.var_dir) / "cache",
    )


def one_blas_thread() -> None:
    """Keep numpy's BLAS (the example memory's similarities) on one thread in a model thread,
    like ONNX Runtime: OpenBLAS's extra worker spins between the small calls and took a core."""
    threadpool_limits(limits=1, user_api="blas")


def create_app(
    settings: Settings,
    loader: Callable[[], NLUPipeline] | None = None,
    index_loader: Callable[[], CatalogueIndex] | None = None,
) -> NLUApp:
    """Build the NLU app; the pipeline is loaded at start-up (not at import).

    The catalogue index is built in the background after start-up, so ``/model/parse`` is
    ready first; a search that arrives earlier waits for it.

    Args:
        settings: the settings.
        loader: returns the pipeline; defaults to loading the trained model from settings.
        index_loader: returns the catalogue index; defaults to :func:`default_index_loader`.
    """

    def default_loader() -> NLUPipeline:
        return NLUPipeline.load(
            settings.nlu_model_dir,
            settings.path(settings.nlu_data_dir),
            threads=settings.torch_threads,
            quantize=settings.nlu_quantize,
            backend=settings.nlu_backend,
        )

    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pipeline = await asyncio.to_thread(loader or default_loader)
        pipeline.parse_batch(["warm up"])
        batcher = MicroBatcher(
            pipeline.parse_batch,
            settings.nlu_max_batch,
            settings.nlu_cache_size,
            workers=settings.nlu_model_workers,
            thread_setup=one_blas_thread,
        )
        batcher.start()
        index_task = asyncio.create_task(
            asyncio.to_thread(index_loader or (lambda: default_index_loader(settings)))
        )
        state.update(pipeline=pipeline, batcher=batcher, index_task=index_task)

        async def fast_parse(body: bytes, query_token: str | None) -> bytes:
            return await parse_answer(body, query_token, batcher, settings)

        app.fast_parse = fast_parse
        log.info("nlu.started", extra={"model": pipeline.info.model_version})
        yield
        app.fast_parse = None
        index_task.cancel()
        await batcher.stop()

    app = NLUApp(title="calmdesk NLU", version="0.1.0", lifespan=lifespan)
    app.settings = settings

    @app.exception_handler(RequestError)
    async def on_request_error(_: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.reason)

    @app.exception_handler(RequestValidationError)
    async def on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", str(exc.errors()[:1]))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.post(PARSE_PATH)
    async def parse(request: Request) -> Response:
        """The same answer as the plain ASGI path (which serves it once started)."""
        body = await parse_answer(
            await request.body(), request.query_params.get("token"), state["batcher"], settings
        )
        return Response(body, media_type="application/json")

    @app.post("/catalogue/search", response_class=ORJSONResponse)
    async def catalogue_search(request: Request) -> ORJSONResponse:
        search = search_request_body(await request.body(), settings)
        _check_token(request.query_params.get("token"), search.token, settings)
        try:
            index: CatalogueIndex = await asyncio.shield(state["index_task"])
        except Exception as exc:
            log.exception("nlu.catalogue_index.failed")
            raise RequestError(503, "index_unavailable", f"catalogue index failed: {exc}") from exc
        hits = await asyncio.to_thread(
            index.search, search.query, limit=search.limit, kinds=tuple(search.kinds)
        )
        results = [SearchResultOut(**asdict(hit)) for hit in hits]
        return ORJSONResponse(SearchResponse(query=search.query, results=results).model_dump())

    @app.get("/health")
    async def health() -> dict[str, Any]:
        batcher: MicroBatcher = state["batcher"]
        return {
            "status": "ok",
            "model_loaded": "pipeline" in state,
            "parsed": batcher.parsed,
            "batches": batcher.batches,
            "cache_hits": batcher.cache.hits,
            "catalogue_index_ready": state["index_task"].done(),
        }

    @app.get("/version")
    async def version() -> dict[str, Any]:
        info = state["pipeline"].info
        return {
            "calmdesk": package_version("calmdesk"),
            "model_version": info.model_version,
            "encoder": info.encoder,
            "trained_at": info.trained_at,
            "data_fingerprint": info.data_fingerprint,
            "oos_threshold": info.oos_threshold,
            "memory_weight": info.memory_weight,
            "gloss_weight": info.gloss_weight,
            "glossary_languages": info.glossary_languages,
            "intents": info.intents,
            "torch": package_version("torch"),
            "transformers": package_version("transformers"),
        }

    return app
