"""Contract tests every ``ShopStore`` backend must pass.

Test modules subclass :class:`ShopStoreContract` and provide a ``scenario`` fixture (a
:class:`~tests.unit.shop.shop_scenario.ShopScenario`) built on their database: SQLite in unit
tests, PostgreSQL in integration tests.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.shop.domain import (
    Address,
    ComplaintCategory,
    CustomerTier,
    OrderStatus,
    RefundStatus,
    ReturnStatus,
)
from bot.shop.errors import (
    AddressChangeNotAllowed,
    CustomerNotFound,
    InvalidAddress,
    InvalidComplaint,
    InvalidOrderItems,
    NotYourOrder,
    OrderItemsChangeNotAllowed,
    OrderNotCancellable,
    OrderNotFound,
    OutOfStock,
    ProductNotFound,
    RefundNotAllowed,
    ReturnNotAllowed,
    ReturnRefusal,
    ShopError,
)
from bot.shop.store import ShopStore
from tests.unit.shop.shop_scenario import DISPATCHED, NOT_DISPATCHED, NOW, ShopScenario

GOOD_ADDRESS = Address("  10  Downing Street ", "London", "sw1a 2aa", "gb")


class ShopStoreContract:
    """Behaviour every shop store backend must show."""

    # -------------------------------------------------------------- customers and orders

    def test_it_is_a_shop_store(self, scenario: ShopScenario) -> None:
        assert isinstance(scenario.store, ShopStore)

    def test_customers_are_found_by_id_and_email(self, scenario: ShopScenario) -> None:
        alice = scenario.store.get_customer(scenario.alice)
        assert alice.name == "Alice Smith" and alice.tier is CustomerTier.VIP
        assert alice.created_at.tzinfo is not None
        assert scenario.store.find_customer_by_email("  ALICE@Example.com ") == alice
        assert scenario.store.find_customer_by_email("nobody@example.com") is None
        with pytest.raises(CustomerNotFound):
            scenario.store.get_customer(999)

    def test_get_order_returns_items_and_shipment(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.DELAYED, items=[("TEE-001", 2), ("CBL-001", 1)])
        order = scenario.store.get_order(order_id, customer_id=scenario.alice)
        assert order.status is OrderStatus.DELAYED
        assert [(line.sku, line.quantity) for line in order.items] == [
            ("TEE-001", 2),
            ("CBL-001", 1),
        ]
        assert order.total == Decimal("49.99")
        assert order.line("CBL-001") is not None and order.line("CBL-001").name.startswith(
            "Braided"
        )
        assert order.shipment is not None and order.shipment.delay_days == 3
        assert order.shipment.original_eta == order.shipment.eta - timedelta(days=3)
        assert order.is_dispatched

    def test_unknown_and_foreign_orders_are_refused(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.PAID)
        with pytest.raises(OrderNotFound):
            scenario.store.get_order(99999)
        with pytest.raises(NotYourOrder):
            scenario.store.get_order(order_id, customer_id=scenario.bob)
        with pytest.raises(NotYourOrder):
            scenario.store.cancel_order(order_id, customer_id=scenario.bob)
        assert scenario.store.get_order(order_id).status is OrderStatus.PAID

    def test_orders_are_listed_newest_first(self, scenario: ShopScenario) -> None:
        old = scenario.order(OrderStatus.DELIVERED, created_days_ago=60)
        new = scenario.order(OrderStatus.PENDING, created_days_ago=1)
        scenario.order(OrderStatus.PAID, customer_id=scenario.bob)
        orders = scenario.store.list_orders_for_customer(scenario.alice)
        assert [order.id for order in orders] == [new, old]
        assert len(scenario.store.list_orders_for_customer(scenario.alice, limit=1)) == 1
        with pytest.raises(CustomerNotFound):
            scenario.store.list_orders_for_customer(999)

    # -------------------------------------------------------------- cancelling

    def test_cancelling_a_paid_order_refunds_and_restocks(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.PAID, items=[("TEE-001", 2)])
        stock = scenario.stock("TEE-001")
        order = scenario.store.cancel_order(order_id, customer_id=scenario.alice, reason="oops")
        assert order.status is OrderStatus.CANCELLED and order.updated_at == NOW
        [refund] = scenario.store.get_refunds_for_order(order_id)
        assert refund.amount == Decimal("40.00") and refund.status is RefundStatus.PENDING
        assert scenario.stock("TEE-001") == stock + 2

    def test_cancelling_a_pending_order_needs_no_refund(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.PENDING)
        scenario.store.cancel_order(order_id, customer_id=None)
        assert scenario.store.get_refunds_for_order(order_id) == []

    @pytest.mark.parametrize("status", [*DISPATCHED, OrderStatus.RETURNED, OrderStatus.CANCELLED])
    def test_dispatched_orders_cannot_be_cancelled(
        self, scenario: ShopScenario, status: OrderStatus
    ) -> None:
        order_id = scenario.order(status)
        with pytest.raises(OrderNotCancellable) as caught:
            scenario.store.cancel_order(order_id, customer_id=scenario.alice)
        assert caught.value.status == status and caught.value.code == "order_not_cancellable"

    # -------------------------------------------------------------- addresses

    @pytest.mark.parametrize("status", NOT_DISPATCHED)
    def test_address_changes_before_dispatch(
        self, scenario: ShopScenario, status: OrderStatus
    ) -> None:
        order_id = scenario.order(status)
        order = scenario.store.change_shipping_address(
            order_id, GOOD_ADDRESS, customer_id=scenario.alice
        )
        assert order.shipping_address == Address("10 Downing Street", "London", "SW1A 2AA", "GB")

    @pytest.mark.parametrize("status", [*DISPATCHED, OrderStatus.CANCELLED])
    def test_address_change_after_dispatch_is_refused(
        self, scenario: ShopScenario, status: OrderStatus
    ) -> None:
        order_id = scenario.order(status)
        with pytest.raises(AddressChangeNotAllowed):
            scenario.store.change_shipping_address(
                order_id, Address("", "", "", "XX"), customer_id=scenario.alice
            )

    def test_invalid_addresses_are_refused(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.PAID)
        with pytest.raises(InvalidAddress) as caught:
            scenario.store.change_shipping_address(
                order_id, Address("1 Main St", "Leeds", "12345", "GB"), customer_id=None
            )
        assert caught.value.field == "postcode"
        assert scenario.store.get_order(order_id).shipping_address.postcode == "LS1 4AB"

    # -------------------------------------------------------------- items

    def test_items_change_recomputes_total_and_refunds(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.PAID, items=[("TEE-001", 2), ("CBL-001", 1)])
        order = scenario.store.change_order_items(
            order_id, {"TEE-001": 1, "CBL-001": 0, " sho-001": 1}, customer_id=scenario.alice
        )
        assert sorted((line.sku, line.quantity) for line in order.items) == [
            ("SHO-001", 1),
            ("TEE-001", 1),
        ]
        assert order.total == Decimal("109.90")
        assert scenario.stock("SHO-001") == 11
        assert scenario.store.get_refunds_for_order(order_id) == []
        order = scenario.store.change_order_items(
            order_id, {"SHO-001": 0}, customer_id=scenario.alice
        )
        assert order.total == Decimal("20.00")
        [refund] = scenario.store.get_refunds_for_order(order_id)
        assert refund.amount == Decimal("89.90")

    def test_items_change_errors(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.PENDING, items=[("TEE-001", 1)])
        store = scenario.store
        with pytest.raises(InvalidOrderItems):
            store.change_order_items(order_id, {"TEE-001": 0}, customer_id=scenario.alice)
        with pytest.raises(InvalidOrderItems):
            store.change_order_items(order_id, {"TEE-001": 11}, customer_id=scenario.alice)
        with pytest.raises(InvalidOrderItems):
            store.change_order_items(order_id, {}, customer_id=scenario.alice)
        with pytest.raises(InvalidOrderItems):
            store.change_order_items(
                order_id, {"tee-001": 1, "TEE-001": 2}, customer_id=scenario.alice
            )
        with pytest.raises(ProductNotFound):
            store.change_order_items(order_id, {"NOPE-1": 1}, customer_id=scenario.alice)
        with pytest.raises(OutOfStock) as caught:
            store.change_order_items(
                order_id, {"CBL-001": 2, "MUG-001": 1}, customer_id=scenario.alice
            )
        assert caught.value.sku == "MUG-001" and caught.value.available == 0
        unchanged = store.get_order(order_id)
        assert [(line.sku, line.quantity) for line in unchanged.items] == [("TEE-001", 1)]
        assert scenario.stock("CBL-001") == 100
        packed = scenario.order(OrderStatus.PACKED)
        with pytest.raises(OrderItemsChangeNotAllowed):
            store.change_order_items(packed, {"TEE-001": 1}, customer_id=scenario.alice)

    # -------------------------------------------------------------- returns

    def test_return_within_window_refunds_full_price(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.DELIVERED, items=[("SHO-001", 2)])
        rma = scenario.store.create_return(
            order_id, "sho-001", customer_id=scenario.alice, reason=" too  small ", quantity=2
        )
        assert rma.rma_code.startswith("RMA-") and len(rma.rma_code) == 12
        assert rma.status is ReturnStatus.APPROVED and rma.reason == "too small"
        assert rma.refund_amount == Decimal("179.80")
        assert scenario.store.get_returns_for_order(order_id) == [rma]
        with pytest.raises(ReturnNotAllowed) as caught:
            scenario.store.create_return(order_id, "SHO-001", customer_id=None, reason="again")
        assert caught.value.reason is ReturnRefusal.ALREADY_RETURNED

    @pytest.mark.parametrize(
        ("status", "sku", "quantity", "delivered_days_ago", "refusal"),
        [
            (OrderStatus.DELIVERED, "TEE-001", 1, 31, ReturnRefusal.WINDOW_EXPIRED),
            (OrderStatus.SHIPPED, "TEE-001", 1, 5, ReturnRefusal.NOT_DELIVERED),
            (OrderStatus.PAID, "TEE-001", 1, 5, ReturnRefusal.NOT_DELIVERED),
            (OrderStatus.DELIVERED, "JKT-001", 1, 5, ReturnRefusal.ITEM_NOT_IN_ORDER),
            (OrderStatus.DELIVERED, "SRM-001", 1, 5, ReturnRefusal.FINAL_SALE),
            (OrderStatus.DELIVERED, "TEE-001", 3, 5, ReturnRefusal.INVALID_QUANTITY),
            (OrderStatus.DELIVERED, "TEE-001", 0, 5, ReturnRefusal.INVALID_QUANTITY),
        ],
    )
    def test_returns_outside_the_policy_are_refused(
        self,
        scenario: ShopScenario,
        status: OrderStatus,
        sku: str,
        quantity: int,
        delivered_days_ago: float,
        refusal: ReturnRefusal,
    ) -> None:
        order_id = scenario.order(
            status,
            items=[("TEE-001", 2), ("SRM-001", 1)],
            delivered_days_ago=delivered_days_ago,
        )
        with pytest.raises(ReturnNotAllowed) as caught:
            scenario.store.create_return(
                order_id, sku, customer_id=scenario.alice, reason="x", quantity=quantity
            )
        assert caught.value.reason is refusal
        assert scenario.store.get_returns_for_order(order_id) == []

    def test_return_window_follows_the_clock(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.DELIVERED, delivered_days_ago=29)
        scenario.clock.now = NOW + timedelta(days=2)
        with pytest.raises(ReturnNotAllowed):
            scenario.store.create_return(order_id, "TEE-001", customer_id=None, reason="late")

    # -------------------------------------------------------------- refunds

    def test_refunds_are_capped_at_the_order_total(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.DELIVERED, items=[("TEE-001", 2)])
        rma = scenario.store.create_return(order_id, "TEE-001", customer_id=None, reason="x")
        refund = scenario.store.create_refund(
            order_id, Decimal("20"), customer_id=scenario.alice, reason="return", return_id=rma.id
        )
        assert refund.return_id == rma.id and refund.amount == Decimal("20.00")
        assert refund.created_at == NOW and refund.paid_at is None
        with pytest.raises(RefundNotAllowed):
            scenario.store.create_refund(order_id, Decimal("20.01"), customer_id=None, reason="x")
        scenario.store.create_refund(order_id, Decimal("20.00"), customer_id=None, reason="x")
        assert len(scenario.store.get_refunds_for_order(order_id, customer_id=1)) == 2

    def test_refund_errors(self, scenario: ShopScenario) -> None:
        pending = scenario.order(OrderStatus.PENDING)
        delivered = scenario.order(OrderStatus.DELIVERED)
        store = scenario.store
        with pytest.raises(RefundNotAllowed):
            store.create_refund(pending, Decimal("1"), customer_id=None, reason="x")
        with pytest.raises(RefundNotAllowed):
            store.create_refund(delivered, Decimal("-1"), customer_id=None, reason="x")
        with pytest.raises(RefundNotAllowed):
            store.create_refund(delivered, Decimal("1"), customer_id=None, reason="x", return_id=9)
        with pytest.raises(NotYourOrder):
            store.create_refund(delivered, Decimal("1"), customer_id=scenario.bob, reason="x")

    # -------------------------------------------------------------- complaints

    def test_complaints_are_counted_on_the_customer(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.DELAYED)
        complaint = scenario.store.open_complaint(
            scenario.alice, "late_delivery", "Where is  my parcel?", order_id=order_id
        )
        assert complaint.category is ComplaintCategory.LATE_DELIVERY
        assert complaint.description == "Where is my parcel?" and complaint.order_id == order_id
        scenario.store.open_complaint(scenario.alice, ComplaintCategory.SERVICE, "Slow chat")
        assert scenario.store.get_customer(scenario.alice).complaint_count == 2

    def test_complaint_errors(self, scenario: ShopScenario) -> None:
        order_id = scenario.order(OrderStatus.DELAYED)
        store = scenario.store
        with pytest.raises(InvalidComplaint):
            store.open_complaint(scenario.alice, "rude_robot", "text")
        with pytest.raises(InvalidComplaint):
            store.open_complaint(scenario.alice, "other", "   ")
        with pytest.raises(CustomerNotFound):
            store.open_complaint(999, "other", "text")
        with pytest.raises(NotYourOrder):
            store.open_complaint(scenario.bob, "other", "text", order_id=order_id)
        assert store.get_customer(scenario.bob).complaint_count == 0

    # -------------------------------------------------------------- products

    def test_products_are_searched_by_name_alias_and_sku(self, scenario: ShopScenario) -> None:
        search = scenario.store.search_products
        assert [p.sku for p in search("rain jacket")] == ["JKT-001"]
        assert [p.sku for p in search("Trainers")] == ["SHO-001"]
        assert [p.sku for p in search("cables")] == ["CBL-001"]
        assert search("cbl-001")[0].sku == "CBL-001"
        assert {p.sku for p in search("apparel")} == {"TEE-001", "JKT-001"}
        assert search("100%") == [] and search("") == [] and search("t_e") == []
        assert len(search("apparel", limit=1)) == 1

    def test_get_product(self, scenario: ShopScenario) -> None:
        product = scenario.store.get_product("jkt-001")
        assert product.price == Decimal("119.00") and product.stock == 5
        assert "raincoat" in product.aliases
        with pytest.raises(ProductNotFound) as caught:
            scenario.store.get_product("NOPE")
        assert isinstance(caught.value, ShopError)
