"""The shop's exceptions: one base, :class:`ShopError`, with a stable ``code`` per subclass.

Callers (actions, the gateway) map ``code`` to a response; the message is for logs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ShopError(Exception):
    """Base of every error raised by the shop package."""

    code: ClassVar[str] = "shop_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CatalogueError(ShopError):
    """The catalogue file is missing or invalid."""

    code = "catalogue_invalid"


class CustomerNotFound(ShopError):
    """No customer has this id or email."""

    code = "customer_not_found"

    def __init__(self, customer: int | str) -> None:
        super().__init__(f"customer {customer!r} not found")
        self.customer = customer


class OrderNotFound(ShopError):
    """No order has this number."""

    code = "order_not_found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class ProductNotFound(ShopError):
    """No product has this SKU."""

    code = "product_not_found"

    def __init__(self, sku: str) -> None:
        super().__init__(f"product {sku!r} not found")
        self.sku = sku


class NotYourOrder(ShopError):
    """The order exists but belongs to another customer.

    Tell the customer the same as for :class:`OrderNotFound`, so order numbers cannot be probed.
    """

    code = "not_your_order"

    def __init__(self, order_id: int, customer_id: int) -> None:
        super().__init__(f"order {order_id} does not belong to customer {customer_id}")
        self.order_id = order_id
        self.customer_id = customer_id


class _OrderStateError(ShopError):
    action: ClassVar[str] = "change"

    def __init__(self, order_id: int, status: str) -> None:
        super().__init__(f"cannot {self.action} order {order_id}: it is {status}")
        self.order_id = order_id
        self.status = status


class OrderNotCancellable(_OrderStateError):
    """The order has been dispatched, delivered, returned or already cancelled."""

    code = "order_not_cancellable"
    action = "cancel"


class AddressChangeNotAllowed(_OrderStateError):
    """The order has left the warehouse, so its address can no longer change."""

    code = "address_change_not_allowed"
    action = "change the address of"


class OrderItemsChangeNotAllowed(_OrderStateError):
    """The order is packed or further along, so its items can no longer change."""

    code = "order_items_change_not_allowed"
    action = "change the items of"


class InvalidAddress(ShopError):
    """A field of a new shipping address is missing or malformed."""

    code = "invalid_address"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid address {field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidOrderItems(ShopError):
    """A requested item change is malformed (bad quantity, empty order, ...)."""

    code = "invalid_order_items"


class OutOfStock(ShopError):
    """Not enough stock for the requested quantity."""

    code = "out_of_stock"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: {requested} requested, {available} in stock")
        self.sku = sku
        self.requested = requested
        self.available = available


class ReturnRefusal(StrEnum):
    """Why a return was refused."""

    NOT_DELIVERED = "not_delivered"
    WINDOW_EXPIRED = "window_expired"
    FINAL_SALE = "final_sale"
    ITEM_NOT_IN_ORDER = "item_not_in_order"
    ALREADY_RETURNED = "already_returned"
    INVALID_QUANTITY = "invalid_quantity"


class ReturnNotAllowed(ShopError):
    """The returns policy refuses this return; ``reason`` says why."""

    code = "return_not_allowed"

    def __init__(self, order_id: int, reason: ReturnRefusal, detail: str = "") -> None:
        suffix = f": {detail}" if detail else ""
        super().__init__(f"return for order {order_id} refused: {reason}{suffix}")
        self.order_id = order_id
        self.reason = reason


class RefundNotAllowed(ShopError):
    """The refund is not possible (unpaid order, amount over what remains refundable, ...)."""

    code = "refund_not_allowed"

    def __init__(self, order_id: int, detail: str) -> None:
        super().__init__(f"refund for order {order_id} refused: {detail}")
        self.order_id = order_id


class InvalidComplaint(ShopError):
    """A complaint is missing its description or has an unknown category."""

    code = "invalid_complaint"
