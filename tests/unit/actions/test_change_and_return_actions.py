"""Address and item changes, returns and early exits, on a real SQLite shop."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from actions.conversation import ActionAffirm
from actions.forms import (
    ValidateAddressForm,
    ValidateComplaintForm,
    ValidateItemsForm,
    ValidateReturnForm,
)
from actions.order_changes import ActionChangeAddress, ActionChangeItems
from actions.orders import ActionOrderTask
from actions.returns import ActionCreateReturn
from bot.shop.domain import OrderStatus
from tests.unit.actions.conftest import Shop, load_tracker, run


async def test_address_is_validated_then_changed_in_the_store(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.PACKED)
    meta = {"customer_id": order.customer_id}
    common: dict[str, Any] = {
        "form": "address_form",
        "requested": "new_address",
        "intent": "change_shipping_address",
        "metadata": meta,
        "slots": {"order_id": str(order.id)},
    }
    bad = await run(
        ValidateAddressForm(),
        load_tracker("form_answer", text="12 High Street, Leeds, 12345, UK", **common),
        domain,
    )
    assert bad.responses == ["utter_invalid_address"]
    assert "postcode" in bad.texts[0]
    assert bad.slot("new_address") is None

    good = await run(
        ValidateAddressForm(),
        load_tracker(
            "form_answer", text="12 high street, Leeds, ls1 4ap, United Kingdom", **common
        ),
        domain,
    )
    address = good.slot("new_address")
    assert address == {
        "line1": "12 high street",
        "city": "Leeds",
        "postcode": "LS1 4AP",
        "country": "GB",
    }

    submitted = load_tracker(
        "form_submitted",
        form="address_form",
        start_intent="change_shipping_address",
        metadata=meta,
        slots={"order_id": str(order.id), "new_address": address},
    )
    result = await run(ActionChangeAddress(), submitted, domain)
    assert result.responses == ["utter_address_changed"]
    assert shop.store.get_order(order.id).shipping_address.postcode == "LS1 4AP"


async def test_address_of_a_shipped_order_cannot_change(shop: Shop, domain: dict[str, Any]) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    tracker = load_tracker(
        "new_request",
        text=f"change the address of order {order.id}",
        intent="change_shipping_address",
        metadata={"customer_id": order.customer_id},
        entities={"order_id": str(order.id)},
        candidates={"order_id": str(order.id)},
    )
    result = await run(ValidateAddressForm(), tracker, domain)
    assert result.responses == ["utter_address_change_refused"]
    assert result.slot("flow_status") == "ended"
    assert result.slot("requested_slot") is None


async def test_item_change_is_parsed_and_applied(shop: Shop, domain: dict[str, Any]) -> None:
    order = shop.order_in(OrderStatus.PENDING, items=2)
    first, second = order.items
    meta = {"customer_id": order.customer_id}
    validated = await run(
        ValidateItemsForm(),
        load_tracker(
            "form_answer",
            form="items_form",
            requested="item_change",
            intent="change_order",
            text=f"please remove the {first.name}",
            metadata=meta,
            slots={"order_id": str(order.id)},
        ),
        domain,
    )
    change = validated.slot("item_change")
    assert change == {"sku": first.sku, "name": first.name, "quantity": 0}

    submitted = load_tracker(
        "form_submitted",
        form="items_form",
        start_intent="change_order",
        metadata=meta,
        slots={"order_id": str(order.id), "item_change": change},
    )
    result = await run(ActionChangeItems(), submitted, domain)
    assert result.responses == ["utter_items_changed"]
    after = shop.store.get_order(order.id)
    assert [line.sku for line in after.items] == [second.sku]
    assert after.total == second.line_total


async def test_return_creates_an_rma_with_the_policy_refund(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.recently_delivered()
    line = order.items[0]
    meta = {"customer_id": order.customer_id}
    item = await run(
        ValidateReturnForm(),
        load_tracker(
            "form_answer",
            form="return_form",
            requested="return_item",
            intent="return_item",
            text=f"the {line.name}",
            metadata=meta,
            slots={"order_id": str(order.id)},
        ),
        domain,
    )
    assert item.slot("return_item") == line.sku
    submitted = load_tracker(
        "form_submitted",
        form="return_form",
        start_intent="return_item",
        metadata=meta,
        slots={"order_id": str(order.id), "return_item": line.sku, "return_reason": "too small"},
    )
    result = await run(ActionCreateReturn(), submitted, domain)
    assert result.responses == ["utter_return_created"]
    (rma,) = shop.store.get_returns_for_order(order.id)
    assert rma.sku == line.sku and rma.refund_amount == line.unit_price
    assert rma.rma_code in result.texts[0]
    assert f"${line.unit_price:.2f}" in result.texts[0]
    assert isinstance(rma.refund_amount, Decimal)


async def test_return_of_an_undelivered_order_is_refused_with_a_hint(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.PAID)
    tracker = load_tracker(
        "new_request",
        text=f"return order {order.id}",
        intent="return_item",
        metadata={"customer_id": order.customer_id},
        entities={"order_id": str(order.id)},
        candidates={"order_id": str(order.id)},
    )
    result = await run(ValidateReturnForm(), tracker, domain)
    assert result.responses == ["utter_return_refused_not_delivered"]
    assert "cancel" in result.texts[0]
    assert result.slot("flow_status") == "ended"


async def test_never_mind_leaves_the_form_and_changes_nothing(
    shop: Shop, domain: dict[str, Any]
) -> None:
    tracker = load_tracker(
        "form_answer",
        form="return_form",
        requested="return_item",
        intent="out_of_scope",
        text="oh never mind",
        metadata={"customer_id": 1},
    )
    result = await run(ValidateReturnForm(), tracker, domain)
    assert result.slot("flow_status") == "stopped"
    assert result.slot("requested_slot") is None
    submitted = load_tracker("form_submitted", form="return_form", slots={"flow_status": "stopped"})
    closed = await run(ActionCreateReturn(), submitted, domain)
    assert closed.responses == ["utter_flow_stopped"]
    assert closed.slot("flow_status") is None


async def test_a_question_mid_form_is_left_to_the_digression_rules(
    shop: Shop, domain: dict[str, Any]
) -> None:
    tracker = load_tracker(
        "form_answer",
        form="address_form",
        requested="new_address",
        intent="payment_methods",
        text="which payment methods do you take?",
        metadata={"customer_id": 1},
    )
    result = await run(ValidateAddressForm(), tracker, domain)
    # Nothing extracted: Rasa rejects the form and the digression rule answers.
    assert not any(e.get("name") == "new_address" for e in result.events)
    assert result.responses == []


async def test_cancel_of_a_delivered_order_offers_a_return_and_yes_starts_it(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.recently_delivered()
    meta = {"customer_id": order.customer_id}
    offered = await run(
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
    assert offered.responses == ["utter_cancel_refused_delivered"]
    assert offered.slot("pending_confirmation") == "start_return"
    yes = load_tracker(
        "answer_to_question",
        pending="start_return",
        text="yes",
        intent="affirm",
        slots={"order_id": str(order.id)},
        metadata=meta,
    )
    started = await run(ActionAffirm(), yes, domain)
    assert {"event": "followup", "name": "return_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in started.events
    ]


async def test_goodbye_in_the_middle_of_a_form_leaves_it(domain: dict[str, Any]) -> None:
    tracker = load_tracker(
        "form_answer",
        form="complaint_form",
        requested="complaint_details",
        intent="goodbye",
        text="bye",
        metadata={"customer_id": 1},
    )
    result = await run(ValidateComplaintForm(), tracker, domain)
    assert result.slot("flow_status") == "stopped"


async def test_a_remembered_order_that_does_not_fit_is_explained_then_asked_for_again(
    shop: Shop, domain: dict[str, Any]
) -> None:
    order = shop.order_in(OrderStatus.SHIPPED)
    tracker = load_tracker(
        "new_request",
        text="I want to return something",
        intent="return_item",
        metadata={"customer_id": order.customer_id},
        candidates={"order_id": str(order.id)},  # from earlier in the conversation
    )
    result = await run(ValidateReturnForm(), tracker, domain)
    assert result.responses == ["utter_return_refused_not_delivered"]
    assert result.slot("order_id") is None
    assert result.slot("requested_slot") == "order_id"
