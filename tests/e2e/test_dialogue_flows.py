"""Every dialogue flow end to end: real NLU, action server and Rasa processes, real sentences
through Rasa's REST webhook, and the effects checked in the order store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.rasa_runtime import RasaNotInstalledError, rasa_executable
from bot.settings import get_settings
from bot.shop.domain import ComplaintStatus, OrderInfo, OrderStatus
from bot.shop.models import ComplaintCase
from tests.e2e.dialogue_stack import DialogueStack, dialogue_stack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DialogueStack]:
    """NLU + actions + Rasa over a seeded SQLite shop, once for the module."""
    settings = get_settings()
    try:
        rasa_executable(settings)
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    tmp: Path = tmp_path_factory.mktemp("dialogue-e2e")
    with dialogue_stack(settings, tmp) as running:
        yield running


def order_in(stack: DialogueStack, status: OrderStatus, *, items: int | None = None) -> OrderInfo:
    """The newest order in ``status`` (with ``items`` lines when given)."""
    for order_id in range(2200, 1000, -1):
        order = stack.store.get_order(order_id)
        if order.status is status and (items is None or len(order.items) == items):
            return order
    raise LookupError(status)


def recently_delivered(stack: DialogueStack) -> OrderInfo:
    """A delivered order inside the return window, with one line."""
    delivered = [
        order
        for order_id in range(2200, 1000, -1)
        if (order := stack.store.get_order(order_id)).status is OrderStatus.DELIVERED
        and order.shipment is not None
        and order.shipment.delivered_at is not None
        and len(order.items) == 1
        and not stack.store.get_returns_for_order(order_id)
    ]
    return max(delivered, key=lambda o: o.shipment.delivered_at)  # type: ignore[union-attr,arg-type,return-value]


def test_small_talk_and_bot_challenge(stack: DialogueStack) -> None:
    chat = stack.conversation()
    for text, response in (
        ("hi there", "utter_greet"),
        ("am I talking to a bot?", "utter_bot_challenge"),
        ("thanks a lot", "utter_thank"),
        ("bye", "utter_goodbye"),
    ):
        assert stack.said(chat.say(text), response), chat.render()


def test_track_a_delayed_order_of_an_authenticated_customer(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.DELAYED)
    assert order.shipment is not None
    chat = stack.conversation(order.customer_id)
    assert "order number" in chat.say("where is my order?").text.lower()
    reply = chat.say(f"it's {order.id}")
    assert f"{order.shipment.delay_days} day(s)" in reply.text, chat.render()
    assert order.shipment.tracking_number in reply.text


def test_track_with_email_verification(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.SHIPPED)
    assert order.shipment is not None
    email = stack.store.get_customer(order.customer_id).email
    chat = stack.conversation()
    assert "email" in chat.say(f"where is my order {order.id}?").text.lower()
    reply = chat.say(email)
    assert order.shipment.tracking_number in reply.text, chat.render()


def test_failures_unknown_someone_elses_malformed_and_never_mind(stack: DialogueStack) -> None:
    mine = order_in(stack, OrderStatus.PAID)
    theirs = order_in(stack, OrderStatus.SHIPPED)
    assert theirs.customer_id != mine.customer_id and theirs.shipment is not None
    chat = stack.conversation(mine.customer_id)
    assert "9999" in chat.say("where is my order 9999?").text
    reply = chat.say(f"order {theirs.id}")
    assert f"no order {theirs.id}" in reply.text.lower() or "can't find" in reply.text.lower()
    assert theirs.shipment.tracking_number not in reply.text
    assert "#12" in chat.say("#12").text, chat.render()
    assert "nothing was changed" in chat.say("never mind").text.lower(), chat.render()


def test_cancel_after_confirmation(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.PAID)
    chat = stack.conversation(order.customer_id)
    question = chat.say(f"please cancel order {order.id}")
    assert "cancel" in question.text and question.text.endswith("?"), chat.render()
    assert stack.store.get_order(order.id).status is OrderStatus.PAID
    reply = chat.say("yes")
    assert "cancelled" in reply.text, chat.render()
    assert stack.store.get_order(order.id).status is OrderStatus.CANCELLED


def test_cancel_a_shipped_order_is_refused_with_a_return_offered(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.SHIPPED)
    chat = stack.conversation(order.customer_id)
    reply = chat.say(f"I want to cancel my order {order.id}")
    assert "return" in reply.text and str(order.id) in reply.text, chat.render()
    assert stack.store.get_order(order.id).status is OrderStatus.SHIPPED


def test_change_address_with_a_question_in_the_middle(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.PACKED)
    chat = stack.conversation(order.customer_id)
    assert "address" in chat.say(f"I need to change the delivery address for order {order.id}").text
    digression = chat.say("what payment methods do you accept?")
    assert "PayPal" in digression.text and "address" in digression.texts[-1], chat.render()
    reply = chat.say("221B Baker Street, London, NW1 6XE, United Kingdom")
    assert "NW1 6XE" in reply.text, chat.render()
    assert stack.store.get_order(order.id).shipping_address.postcode == "NW1 6XE"


def test_change_items(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.PENDING, items=2)
    first, second = order.items
    chat = stack.conversation(order.customer_id)
    chat.say(f"I'd like to change my order {order.id}")
    reply = chat.say(f"please remove the {first.name}")
    assert second.name in reply.text, chat.render()
    assert [line.sku for line in stack.store.get_order(order.id).items] == [second.sku]


def test_return_an_item_then_track_the_refund(stack: DialogueStack) -> None:
    order = recently_delivered(stack)
    line = order.items[0]
    chat = stack.conversation(order.customer_id)
    assert "return" in chat.say(f"I want to return something from order {order.id}").text.lower()
    reply = chat.say("it's too small for me")
    (rma,) = stack.store.get_returns_for_order(order.id)
    assert rma.rma_code in reply.text and f"${line.unit_price:.2f}" in reply.text, chat.render()
    refund = chat.say(f"where is my refund for order {order.id}?")
    assert rma.rma_code in refund.text, chat.render()


def test_invoice_payments_and_delivery_questions(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.DELIVERED)
    chat = stack.conversation(order.customer_id)
    assert "https://" in chat.say(f"can you send me the invoice for order {order.id}?").text
    assert "PayPal" in chat.say("which payment methods can I use?").text
    assert "$" in chat.say("what shipping options do you have?").text
    assert "business days" in chat.say("how long does delivery usually take?").text
    assert "30 days" in chat.say("what is your refund policy?").text
    payment = chat.say(f"I have a problem with the payment for order {order.id}")
    assert str(order.id) in payment.text, chat.render()


def test_product_question_answered_from_the_catalogue(stack: DialogueStack) -> None:
    chat = stack.conversation()
    reply = chat.say("does the stormshell rain jacket have a hood?")
    assert "Stormshell Rain Jacket" in reply.text and "hood" in reply.text, chat.render()


def test_complaint_opens_a_case_and_an_angry_customer_gets_a_person(stack: DialogueStack) -> None:
    order = order_in(stack, OrderStatus.DELIVERED)
    chat = stack.conversation(order.customer_id)
    chat.say("I want to make a complaint")
    reply = chat.say(
        "THIS IS UNACCEPTABLE!! the parcel arrived broken and nobody answers my emails"
    )
    assert "case #" in reply.text, chat.render()
    case_id = int(reply.text.split("case #")[1].split()[0])
    with stack.sessions() as session:  # the case is really in the shop database
        case = session.get(ComplaintCase, case_id)
        assert case is not None and case.customer_id == order.customer_id
        assert case.status == ComplaintStatus.OPEN
    if "colleague" in reply.text:
        handed = chat.say("yes please")
        assert handed.custom and handed.custom[0]["calmdesk_handoff"]["priority"] == "high"


def test_request_a_person_sends_the_handoff_message(stack: DialogueStack) -> None:
    chat = stack.conversation()
    reply = chat.say("I want to talk to a human")
    assert reply.custom, chat.render()
    handoff = reply.custom[0]["calmdesk_handoff"]
    assert handoff["reason"] and handoff["priority"] in {"normal", "high"}


def test_fallback_asks_once_then_offers_a_person(stack: DialogueStack) -> None:
    chat = stack.conversation()
    chat.say("what's the weather like on mars")
    offer = chat.say("tell me a joke about penguins")
    assert "person" in offer.text or "colleague" in offer.text, chat.render()
    accepted = chat.say("yes")
    assert accepted.custom and "calmdesk_handoff" in accepted.custom[0], chat.render()
