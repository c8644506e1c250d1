"""Product and FAQ questions, answered by semantic search in the NLU service.

``POST {nlu_base_url}/catalogue/search`` with ``{"query", "limit"}`` returns the catalogue
products and FAQ entries closest to the question in sentence-embedding space. The best result
above :data:`MIN_SCORE` answers; a product answer adds its price and stock from the store.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from pydantic import ValidationError
from rasa_sdk.events import EventType

from actions.context import ShopAction, Turn, money
from actions.store import shop_store
from bot.nlu.schemas import SearchRequest, SearchResponse
from bot.nlu.schemas import SearchResultOut as SearchHit
from bot.shop.errors import ProductNotFound

logger = logging.getLogger("calmdesk.actions.products")

SEARCH_TIMEOUT_SECONDS = 2.0
SEARCH_LIMIT = 3
MIN_SCORE = 0.45
#: A second result this close to the best one is mentioned too.
RUNNER_UP_GAP = 0.03


class CatalogueSearchError(Exception):
    """The search service failed or answered something unreadable."""


class CatalogueSearch:
    """Client of the NLU service's catalogue search.

    Args:
        base_url: The NLU service's base URL.
        transport: An httpx transport (tests pass ``httpx.MockTransport``).
        timeout: Seconds before giving up.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = SEARCH_TIMEOUT_SECONDS,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/catalogue/search"
        self._transport = transport
        self._timeout = timeout
        self._client: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def _session(self) -> httpx.AsyncClient:
        """One keep-alive client per event loop (building one loads the CA bundle for TLS:
        a few ms of CPU, which was half of the action server's time when made per search)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop or self._client[1].is_closed:
            client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
            self._client = (loop, client)
        return self._client[1]

    async def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """Return the best matches, best first.

        Raises:
            CatalogueSearchError: Unreachable, timed out, non-200, or malformed answer.
        """
        try:
            body = SearchRequest(query=query[:1000], limit=limit).model_dump()
            response = await self._session().post(self._url, json=body)
            if response.status_code != 200:
                raise CatalogueSearchError(f"HTTP {response.status_code}")
            return SearchResponse.model_validate(response.json()).results
        except (httpx.HTTPError, ValueError, ValidationError) as error:
            raise CatalogueSearchError(f"{type(error).__name__}: {error}") from error


_search: CatalogueSearch | None = None


def catalogue_search() -> CatalogueSearch:
    """The process's search client (created on first use from the settings)."""
    global _search
    if _search is None:
        from bot.settings import get_settings

        _search = CatalogueSearch(get_settings().nlu_base_url)
    return _search


def use_catalogue_search(search: CatalogueSearch | None) -> None:
    """Install a search client (``None``: recreate from the settings)."""
    global _search
    _search = search


def product_answer(hit: SearchHit) -> str:
    """The answer for one hit: the FAQ answer, or the product's facts with price and stock."""
    if hit.kind == "faq":
        return hit.text
    try:
        product = shop_store().get_product(hit.id)
    except ProductNotFound:
        return f"{hit.title}: {hit.text}"
    stock = f"{product.stock} in stock" if product.stock > 0 else "currently out of stock"
    return f"{product.name} ({money(product.price)}, {stock}): {product.description}"


class ActionProductQuestion(ShopAction):
    """Answer a question about a product or the shop from the catalogue and FAQ."""

    def name(self) -> str:
        """Action name."""
        return "action_product_question"

    async def act(self, turn: Turn) -> list[EventType]:
        """Search, answer from the best hit(s), or say honestly that nothing matches."""
        try:
            hits = await catalogue_search().search(turn.text)
        except CatalogueSearchError as error:
            logger.warning("actions.product_search.failed", extra={"error": str(error)})
            turn.say("utter_product_search_unavailable")
            return []
        good = [hit for hit in hits if hit.score >= MIN_SCORE]
        logger.info(
            "actions.product_search.done",
            extra={"hits": len(hits), "best": hits[0].score if hits else None},
        )
        if not good:
            turn.say("utter_product_no_match")
            return []
        answer = product_answer(good[0])
        if len(good) > 1 and good[0].score - good[1].score <= RUNNER_UP_GAP:
            answer += f"\n\nYou might also mean: {product_answer(good[1])}"
        turn.say("utter_product_answer", answer=answer)
        return []
