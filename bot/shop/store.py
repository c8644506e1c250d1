"""The interface of the shop's order store: what actions and the console may ask of a shop.

:class:`ShopStore` is a Protocol, so a real commerce backend (a Shopify or WooCommerce client)
can implement it without inheriting from anything. :class:`bot.shop.sql_store.SqlShopStore` is
the implementation over the app database used by the demo shop.

Ownership: every call that names an order takes ``customer_id``. When it is given and the order
belongs to someone else, :class:`~bot.shop.errors.NotYourOrder` is raised. Mutations require the
argument explicitly; pass ``None`` only for staff acting without a customer (the agent console).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol, runtime_checkable

from bot.shop.domain import (
    Address,
    ComplaintCategory,
    ComplaintInfo,
    CustomerInfo,
    OrderInfo,
    ProductInfo,
    RefundInfo,
    ReturnInfo,
)


@runtime_checkable
class ShopStore(Protocol):
    """Customers, orders, returns, refunds and complaints of one shop."""

    def get_customer(self, customer_id: int) -> CustomerInfo:
        """Return a customer. Raises ``CustomerNotFound``."""
        ...

    def find_customer_by_email(self, email: str) -> CustomerInfo | None:
        """Return the customer with this email (case-insensitive), or ``None``."""
        ...

    def get_order(self, order_id: int, *, customer_id: int | None = None) -> OrderInfo:
        """Return an order with its items and shipment.

        Raises ``OrderNotFound``, or ``NotYourOrder`` when ``customer_id`` is not the owner.
        """
        ...

    def list_orders_for_customer(self, customer_id: int, *, limit: int = 20) -> list[OrderInfo]:
        """Return a customer's orders, newest first. Raises ``CustomerNotFound``."""
        ...

    def cancel_order(
        self, order_id: int, *, customer_id: int | None, reason: str = ""
    ) -> OrderInfo:
        """Cancel an order that has not been dispatched; paid orders get a full refund.

        Raises ``OrderNotCancellable`` once it is shipped, delayed, delivered, returned or
        already cancelled.
        """
        ...

    def change_shipping_address(
        self, order_id: int, address: Address, *, customer_id: int | None
    ) -> OrderInfo:
        """Change where an order goes, while it is pending, paid or packed.

        Raises ``InvalidAddress`` or ``AddressChangeNotAllowed``.
        """
        ...

    def change_order_items(
        self, order_id: int, quantities: Mapping[str, int], *, customer_id: int | None
    ) -> OrderInfo:
        """Set the quantity of products in an unpacked order (0 removes a line, a new SKU adds
        one at the current price) and recompute the total.

        Raises ``OrderItemsChangeNotAllowed``, ``ProductNotFound``, ``InvalidOrderItems`` or
        ``OutOfStock``.
        """
        ...

    def create_return(
        self,
        order_id: int,
        sku: str,
        *,
        customer_id: int | None,
        reason: str,
        quantity: int = 1,
    ) -> ReturnInfo:
        """Open an RMA for units of one line of a delivered order, refunding their full price.

        Raises ``ReturnNotAllowed`` (with a ``ReturnRefusal`` reason) outside the policy.
        """
        ...

    def get_returns_for_order(
        self, order_id: int, *, customer_id: int | None = None
    ) -> list[ReturnInfo]:
        """Return the RMAs of an order, oldest first."""
        ...

    def create_refund(
        self,
        order_id: int,
        amount: Decimal,
        *,
        customer_id: int | None,
        reason: str,
        return_id: int | None = None,
    ) -> RefundInfo:
        """Refund part or all of a paid order. Raises ``RefundNotAllowed``."""
        ...

    def get_refunds_for_order(
        self, order_id: int, *, customer_id: int | None = None
    ) -> list[RefundInfo]:
        """Return the refunds of an order, oldest first."""
        ...

    def open_complaint(
        self,
        customer_id: int,
        category: ComplaintCategory | str,
        description: str,
        *,
        order_id: int | None = None,
    ) -> ComplaintInfo:
        """Open a complaint case and count it on the customer.

        Raises ``InvalidComplaint``, ``CustomerNotFound``, ``OrderNotFound`` or ``NotYourOrder``.
        """
        ...

    def search_products(self, query: str, *, limit: int = 10) -> list[ProductInfo]:
        """Find products whose SKU, name, aliases or category match every word of ``query``."""
        ...

    def get_product(self, sku: str) -> ProductInfo:
        """Return a product. Raises ``ProductNotFound``."""
        ...
