"""Conversions from ORM rows to the frozen records the store hands out."""

from __future__ import annotations

from bot.shop.domain import (
    Address,
    ComplaintCategory,
    ComplaintInfo,
    ComplaintStatus,
    CustomerInfo,
    CustomerTier,
    OrderInfo,
    OrderLine,
    OrderStatus,
    ProductInfo,
    RefundInfo,
    RefundStatus,
    ReturnInfo,
    ReturnStatus,
    ShipmentInfo,
    to_money,
)
from bot.shop.models import (
    ComplaintCase,
    Customer,
    Order,
    OrderItem,
    Product,
    Refund,
    ReturnRequest,
    Shipment,
)

ALIAS_SEPARATOR = "|"


def join_aliases(aliases: tuple[str, ...] | list[str]) -> str:
    """Store aliases as one lowercase ``|``-separated string."""
    return ALIAS_SEPARATOR.join(alias.strip().lower() for alias in aliases if alias.strip())


def customer_info(row: Customer) -> CustomerInfo:
    """Convert a customer row."""
    return CustomerInfo(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        tier=CustomerTier(row.tier),
        country=row.country,
        region=row.region,
        created_at=row.created_at,
        complaint_count=row.complaint_count,
    )


def product_info(row: Product) -> ProductInfo:
    """Convert a product row."""
    return ProductInfo(
        sku=row.sku,
        name=row.name,
        category=row.category,
        price=to_money(row.price),
        description=row.description,
        stock=row.stock,
        aliases=tuple(alias for alias in row.aliases.split(ALIAS_SEPARATOR) if alias),
    )


def order_line(row: OrderItem) -> OrderLine:
    """Convert an order item row (its product must be loaded)."""
    return OrderLine(
        sku=row.sku,
        name=row.product.name,
        category=row.product.category,
        quantity=row.quantity,
        unit_price=to_money(row.unit_price),
    )


def shipment_info(row: Shipment) -> ShipmentInfo:
    """Convert a shipment row."""
    return ShipmentInfo(
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        shipped_at=row.shipped_at,
        eta=row.eta,
        delivered_at=row.delivered_at,
        delay_days=row.delay_days,
    )


def order_info(row: Order) -> OrderInfo:
    """Convert an order row with its items and shipment."""
    return OrderInfo(
        id=row.id,
        customer_id=row.customer_id,
        status=OrderStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        currency=row.currency,
        total=to_money(row.total),
        shipping_address=Address(
            line1=row.ship_line1,
            city=row.ship_city,
            postcode=row.ship_postcode,
            country=row.ship_country,
        ),
        items=tuple(order_line(item) for item in row.items),
        shipment=shipment_info(row.shipment) if row.shipment is not None else None,
    )


def return_info(row: ReturnRequest) -> ReturnInfo:
    """Convert a return (RMA) row."""
    return ReturnInfo(
        id=row.id,
        rma_code=row.rma_code,
        order_id=row.order_id,
        sku=row.sku,
        quantity=row.quantity,
        reason=row.reason,
        status=ReturnStatus(row.status),
        created_at=row.created_at,
        refund_amount=to_money(row.refund_amount),
    )


def refund_info(row: Refund) -> RefundInfo:
    """Convert a refund row."""
    return RefundInfo(
        id=row.id,
        order_id=row.order_id,
        amount=to_money(row.amount),
        status=RefundStatus(row.status),
        reason=row.reason,
        created_at=row.created_at,
        paid_at=row.paid_at,
        return_id=row.return_id,
    )


def complaint_info(row: ComplaintCase) -> ComplaintInfo:
    """Convert a complaint row."""
    return ComplaintInfo(
        id=row.id,
        customer_id=row.customer_id,
        order_id=row.order_id,
        category=ComplaintCategory(row.category),
        description=row.description,
        status=ComplaintStatus(row.status),
        created_at=row.created_at,
    )
