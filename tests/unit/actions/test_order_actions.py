"""Order flows on a real SQLite shop: tracking, verification, cancelling, invoices, refunds."""

from __future__ import annotations

from typing import Any

from actions.conversation import ActionAffirm, ActionDeny
from actions.forms import ValidateOrderForm
from actions.orders import ActionDeliveryTime, ActionOrderTask, ActionPaymentIssue
from bot.shop.domain import OrderStatus
from tests.unit.actions.conftest import Shop, load_tracker, run


async def test_delayed_order_says_how_late_with_carrier_and_tracking(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.DELAYED)
    assert order.shipment is not None
    tracker = load_tracker(
        "form_submitted",
        text=str(order.id),
        intent="track_order",
        slots={"order_id": str(order.id)},
        metadata={"customer_id": order.customer_id},
    )
    result = await run(ActionOrderTask(), tracker, domain)
    assert result.responses == ["utter_order_status_delayed"]
    text = result.texts[0]
    assert f"{order.shipment.delay_days} day(s)" in text
    assert order.shipment.carrier in text and order.shipment.tracking_number in text
    assert result.slot("customer_id") == order.customer_id  # remembered from the metadata


async def test_angry_customer_gets_the_empathetic_variant_unless_the_breaker_apologised(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.DELAYED)
    common: dict[str, Any] = {
        "text": "WHERE IS MY ORDER",
        "intent": "track_order",
        "slots": {"order_id": str(order.id)},
        "affect": {"anger": 0.7, "label": "angry"},
    }
    angry = load_tracker("form_submitted", metadata={"customer_id": order.customer_id}, **common)
    assert (await run(ActionOrderTask(), angry, domain)).responses == [
        "utter_order_status_delayed_empathetic"
    ]
    escalation = {"action": "soothe", "details": {}}
    soothed = load_tracker(
        "form_submitted",
        metadata={"customer_id": order.customer_id, "calmdesk_escalation": escalation},
        **common,
    )
    assert (await run(ActionOrderTask(), soothed, domain)).responses == [
        "utter_order_status_delayed"
    ]


async def test_someone_elses_order_is_not_found_and_reveals_nothing(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    stranger = order.customer_id + 1
    tracker = load_tracker(
        "form_answer",
        text=str(order.id),
        intent="track_order",
        metadata={"customer_id": stranger},
        candidates={"order_id": str(order.id)},
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.responses == ["utter_order_not_found"]
    assert result.slot("order_id") is None
    assert result.slot("requested_slot") == "order_id"
    assert order.shipment is not None and order.shipment.tracking_number not in result.texts[0]


async def test_malformed_order_number_gets_a_clear_reply(
    shop: Shop, domain: dict[str, Any]
) -> None:
    tracker = load_tracker(
        "form_answer", text="it's #12", intent="track_order", metadata={"customer_id": 1}
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.responses == ["utter_invalid_order_id"]
    assert "#12" in result.texts[0]
    assert result.slot("order_id") is None


async def test_email_and_order_of_the_same_customer_verify_them(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    email = shop.store.get_customer(order.customer_id).email
    tracker = load_tracker(
        "form_answer",
        text=email,
        intent="track_order",
        requested="email",
        slots={"order_id": str(order.id)},
        candidates={"email": email},
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.slot("customer_id") == order.customer_id
    assert result.slot("requested_slot") is None  # form done


async def test_email_of_another_customer_clears_both_and_asks_again(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    other = shop.order_in(OrderStatus.DELIVERED)
    assert other.customer_id != order.customer_id
    email = shop.store.get_customer(other.customer_id).email
    tracker = load_tracker(
        "form_answer",
        text=email,
        intent="track_order",
        requested="email",
        slots={"order_id": str(order.id)},
        candidates={"email": email},
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.responses == ["utter_verification_failed"]
    assert result.slot("order_id") is None and result.slot("email") is None
    # The form's own slot order ([order_id, email]) applies: Rasa asks for the order again.
    assert all(event.get("name") != "requested_slot" for event in result.events)


async def test_cancel_asks_first_and_cancels_on_yes(shop: Shop, domain: dict[str, Any]) -> None:
    order = shop.order_in(OrderStatus.PAID)
    meta = {"customer_id": order.customer_id}
    asked = await run(
        ActionOrderTask(),
        load_tracker(
            "form_submitted",
            start_intent="cancel_order",
            intent="cancel_order",
            slots={"order_id": str(order.id)},
            metadata=meta,
        ),
        domain,
    )
    assert asked.responses == ["utter_confirm_cancel"]
    assert asked.slot("pending_confirmation") == "cancel"
    assert shop.store.get_order(order.id).status is OrderStatus.PAID  # nothing yet

    yes = load_tracker(
        "answer_to_question",
        pending="cancel",
        text="yes please",
        intent="affirm",
        slots={"order_id": str(order.id)},
        metadata=meta,
    )
    done = await run(ActionAffirm(), yes, domain)
    assert done.responses == ["utter_order_cancelled"]
    assert "refunded" in done.texts[0]
    assert shop.store.get_order(order.id).status is OrderStatus.CANCELLED


async def test_no_keeps_the_order(shop: Shop, domain: dict[str, Any]) -> None:
    order = shop.order_in(OrderStatus.PAID)
    no = load_tracker(
        "answer_to_question",
        pending="cancel",
        text="no",
        intent="deny",
        slots={"order_id": str(order.id)},
        metadata={"customer_id": order.customer_id},
    )
    result = await run(ActionDeny(), no, domain)
    assert result.responses == ["utter_cancel_kept"]
    assert shop.store.get_order(order.id).status is OrderStatus.PAID


async def test_shipped_order_cannot_be_cancelled_and_a_return_is_offered(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    tracker = load_tracker(
        "form_submitted",
        start_intent="cancel_order",
        intent="cancel_order",
        slots={"order_id": str(order.id)},
        metadata={"customer_id": order.customer_id},
    )
    result = await run(ActionOrderTask(), tracker, domain)
    assert result.responses == ["utter_cancel_refused_shipped"]
    assert "return" in result.texts[0]
    assert shop.store.get_order(order.id).status is OrderStatus.SHIPPED


async def test_invoice_link_for_a_paid_order_and_none_for_a_pending_one(
    shop: Shop, domain: dict[str, Any]
) -> None:
    for status, expected in (
        (OrderStatus.DELIVERED, "utter_invoice_link"),
        (OrderStatus.PENDING, "utter_invoice_unavailable"),
    ):
        order = shop.order_in(status)
        tracker = load_tracker(
            "form_submitted",
            start_intent="invoice",
            intent="invoice",
            slots={"order_id": str(order.id)},
            metadata={"customer_id": order.customer_id},
        )
        result = await run(ActionOrderTask(), tracker, domain)
        assert result.responses == [expected]
    assert "https://" not in result.texts[0]


async def test_refund_status_of_a_returned_order(shop: Shop, domain: dict[str, Any]) -> None:
    order = shop.order_in(OrderStatus.RETURNED)
    tracker = load_tracker(
        "form_submitted",
        start_intent="track_refund",
        intent="track_refund",
        slots={"order_id": str(order.id)},
        metadata={"customer_id": order.customer_id},
    )
    result = await run(ActionOrderTask(), tracker, domain)
    assert result.responses[0] in {"utter_refund_status", "utter_refund_none"}
    assert "$" in result.texts[0] or "no refund" in result.texts[0].lower()


async def test_payment_issue_and_delivery_time_use_the_order(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.PENDING)
    meta = {"customer_id": order.customer_id}
    payment = load_tracker(
        "new_request",
        text=f"my payment for {order.id} failed",
        intent="payment_issue",
        slots={"order_id": str(order.id)},
        metadata=meta,
        entities={"order_id": str(order.id)},
    )
    result = await run(ActionPaymentIssue(), payment, domain)
    assert result.responses == ["utter_payment_status"]
    assert "haven't received the payment" in result.texts[0]

    general = load_tracker("new_request", text="how long is delivery?", intent="delivery_time")
    assert (await run(ActionDeliveryTime(), general, domain)).responses == [
        "utter_delivery_time_general"
    ]


async def test_an_email_the_nlu_took_for_a_handoff_request_still_answers_the_form(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    email = shop.store.get_customer(order.customer_id).email
    tracker = load_tracker(
        "form_answer",
        text=email,
        intent="request_human",
        requested="email",
        slots={"order_id": str(order.id)},
        entities={"email": email},
        candidates={"email": email},
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.slot("customer_id") == order.customer_id
    assert not any(event.get("name") == "flow_status" for event in result.events)


async def test_when_will_it_arrive_uses_the_customers_only_open_order(
    shop: Shop, domain: dict[str, Any]
) -> None:
    for order_id in range(1001, 1241):
        order = shop.store.get_order(order_id)
        recent = shop.store.list_orders_for_customer(order.customer_id, limit=10)
        open_orders = [
            o
            for o in recent
            if o.status
            in {
                OrderStatus.SHIPPED,
                OrderStatus.DELAYED,
                OrderStatus.PENDING,
                OrderStatus.PAID,
                OrderStatus.PACKED,
            }
        ]
        if len(open_orders) == 1 and open_orders[0].status is OrderStatus.SHIPPED:
            break
    else:
        raise LookupError("no customer with exactly one shipped open order")
    tracker = load_tracker(
        "new_request",
        text="when will my order arrive?",
        intent="delivery_time",
        metadata={"customer_id": order.customer_id},
    )
    result = await run(ActionDeliveryTime(), tracker, domain)
    assert result.responses == ["utter_order_status_shipped"]
    assert str(open_orders[0].id) in result.texts[0]


async def test_an_unusable_message_mid_form_brings_the_customer_back_instead_of_failing(
    shop: Shop, domain: dict[str, Any]
) -> None:
    tracker = load_tracker(
        "form_answer",
        text="WHERE IS MY ORDER?!! I want my money back NOW",
        intent="track_refund",
        requested="order_id",
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.responses == ["utter_form_keep_going"]
    assert result.slot("form_nudges") == 1  # a slot event, so Rasa does not reject the form
    assert "flow_status" not in {e.get("name") for e in result.events}  # the form goes on


async def test_a_digression_mid_form_is_left_to_its_rule(
    shop: Shop, domain: dict[str, Any]
) -> None:
    tracker = load_tracker(
        "form_answer", text="which payment methods do you take?", intent="payment_methods"
    )
    result = await run(ValidateOrderForm(), tracker, domain)
    assert result.responses == []
    assert "form_nudges" not in {e.get("name") for e in result.events}
