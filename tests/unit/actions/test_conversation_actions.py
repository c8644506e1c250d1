"""Complaints, handoff, fallback, product questions and a failing store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from actions.complaints import ActionOpenComplaint, complaint_category
from actions.conversation import ActionAffirm, ActionFallback
from actions.handoff import ActionHandoff
from actions.orders import ActionOrderTask
from actions.products import ActionProductQuestion, CatalogueSearch, use_catalogue_search
from actions.store import use_store
from bot.db import make_engine, session_factory
from bot.shop.domain import ComplaintCategory, OrderStatus
from bot.shop.sql_store import SqlShopStore
from tests.unit.actions.conftest import Shop, load_tracker, run


async def test_complaint_opens_a_case_and_an_angry_customer_is_offered_a_person(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.DELIVERED)
    meta = {"customer_id": order.customer_id}
    details = "The parcel arrived DAMAGED and nobody answers my emails!!"
    tracker = load_tracker(
        "form_submitted",
        form="complaint_form",
        start_intent="complaint",
        text=details,
        intent="complaint",
        metadata=meta,
        affect={"anger": 0.8, "label": "furious"},
        slots={"complaint_details": details, "order_id": str(order.id)},
    )
    result = await run(ActionOpenComplaint(), tracker, domain)
    assert result.responses == [
        "utter_complaint_opened_empathetic",
        "utter_offer_complaint_handoff",
    ]
    pending = result.slot("pending_confirmation")
    case_id = int(pending.split(":")[1])
    assert f"#{case_id}" in result.texts[0] and "damaged item" in result.texts[0]
    assert shop.store.get_customer(order.customer_id).complaint_count >= 1

    yes = load_tracker(
        "answer_to_question", pending=pending, text="yes", intent="affirm", metadata=meta
    )
    handed = await run(ActionAffirm(), yes, domain)
    assert handed.custom == [
        {
            "calmdesk_handoff": {
                "reason": f"angry customer wants to discuss complaint #{case_id}",
                "priority": "high",
            }
        }
    ]


def test_complaint_categories() -> None:
    assert complaint_category("the mug arrived broken") is ComplaintCategory.DAMAGED_ITEM
    assert complaint_category("still waiting for my refund") is ComplaintCategory.REFUND_DELAY
    assert complaint_category("two weeks late, still waiting") is ComplaintCategory.LATE_DELIVERY
    assert complaint_category("meh") is ComplaintCategory.OTHER


async def test_request_human_sends_text_and_the_handoff_message(domain: dict[str, Any]) -> None:
    tracker = load_tracker(
        "new_request", text="a human please", intent="request_human", affect={"label": "calm"}
    )
    result = await run(ActionHandoff(), tracker, domain)
    assert result.responses == ["utter_handoff"]
    assert result.custom == [
        {"calmdesk_handoff": {"reason": "customer asked for a person", "priority": "normal"}}
    ]


async def test_fallback_asks_to_rephrase_once_then_offers_a_person(
    domain: dict[str, Any],
) -> None:
    first = load_tracker("new_request", text="blorp", intent="nlu_fallback")
    assert (await run(ActionFallback(), first, domain)).responses == ["utter_ask_rephrase"]

    second = load_tracker("new_request", text="flurb", intent="out_of_scope")
    second.events.insert(-1, {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}})
    offered = await run(ActionFallback(), second, domain)
    assert offered.responses == ["utter_offer_human"]
    assert offered.slot("pending_confirmation") == "handoff"


async def test_a_yes_long_after_the_question_does_nothing(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.PAID)
    tracker = load_tracker(
        "answer_to_question",
        pending="cancel",
        text="yes",
        intent="affirm",
        slots={"order_id": str(order.id)},
        metadata={"customer_id": order.customer_id},
    )
    tracker.events.insert(-2, {"event": "user", "parse_data": {"intent": {"name": "greet"}}})
    result = await run(ActionAffirm(), tracker, domain)
    assert result.responses == ["utter_nothing_to_confirm"]
    assert shop.store.get_order(order.id).status is OrderStatus.PAID


async def test_database_down_gets_a_polite_reply_not_a_crash(
    tmp_path: Path, domain: dict[str, Any]
) -> None:
    engine = make_engine(
        f"sqlite:///{tmp_path / 'not-migrated.db'}"
    )  # no tables: every query fails
    use_store(SqlShopStore(session_factory(engine)))
    try:
        tracker = load_tracker(
            "form_submitted",
            slots={"order_id": "1042", "pending_confirmation": "cancel"},
            metadata={"customer_id": 7},
        )
        result = await run(ActionOrderTask(), tracker, domain)
    finally:
        use_store(None)
        engine.dispose()
    assert result.responses == ["utter_store_unavailable"]
    assert result.slot("pending_confirmation") is None


def _search_returning(status: int, body: dict[str, Any]) -> CatalogueSearch:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/catalogue/search"
        return httpx.Response(status, json=body)

    return CatalogueSearch("http://nlu.test", transport=httpx.MockTransport(handler))


async def test_product_question_answers_from_the_best_hit_with_price_and_stock(
    shop: Shop, domain: dict[str, Any]
) -> None:
    product = shop.store.get_product("APP-004")
    hit = {"kind": "product", "id": "APP-004", "title": product.name, "text": "…", "score": 0.71}
    use_catalogue_search(_search_returning(200, {"query": "q", "results": [hit]}))
    try:
        tracker = load_tracker("new_request", text="does the rain jacket have a hood?")
        result = await run(ActionProductQuestion(), tracker, domain)
    finally:
        use_catalogue_search(None)
    assert result.responses == ["utter_product_answer"]
    assert product.name in result.texts[0] and f"${product.price}" in result.texts[0]
    assert "hood" in result.texts[0]


async def test_product_question_is_honest_about_no_match_and_polite_on_errors(
    domain: dict[str, Any],
) -> None:
    weak = {"kind": "faq", "id": "faq-1", "title": "t", "text": "x", "score": 0.1}
    tracker = load_tracker("new_request", text="do you sell submarines?")
    use_catalogue_search(_search_returning(200, {"query": "q", "results": [weak]}))
    try:
        assert (await run(ActionProductQuestion(), tracker, domain)).responses == [
            "utter_product_no_match"
        ]
        use_catalogue_search(_search_returning(503, {"error": "loading"}))
        assert (await run(ActionProductQuestion(), tracker, domain)).responses == [
            "utter_product_search_unavailable"
        ]
        use_catalogue_search(_search_returning(200, {"unexpected": True}))
        assert (await run(ActionProductQuestion(), tracker, domain)).responses == [
            "utter_product_search_unavailable"
        ]
    finally:
        use_catalogue_search(None)


async def test_catalogue_search_keeps_one_connection_for_many_searches() -> None:
    """A real keep-alive HTTP server on loopback: three searches arrive over one TCP
    connection (a client per search cost a TLS context each: half the action server's CPU)."""
    connections = 0
    body = json.dumps({"query": "q", "results": []}).encode()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        search = CatalogueSearch(f"http://127.0.0.1:{port}")
        results = [await search.search(f"question {n}") for n in range(3)]
    finally:
        server.close()
    assert results == [[], [], []]
    assert connections == 1
