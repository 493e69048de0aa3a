"""Orders API: validate with pydantic, store in DynamoDB, emit an event."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, ValidationError

from .common import aws_client, env, json_response, request_body


class OrderLine(BaseModel):
    sku: str = Field(min_length=3)
    quantity: int = Field(gt=0)
    unit_price: Decimal


class Order(BaseModel):
    customer_id: str
    lines: list[OrderLine]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))


class OrderAPI:
    """One class, one route per method; API Gateway calls `handler` below."""

    def __init__(self):
        self.table = env("ORDERS_TABLE")
        self.bus = env("EVENT_BUS")

    def create(self, event: dict) -> dict:
        try:
            order = Order.model_validate_json(request_body(event))
        except ValidationError as exc:
            return json_response(422, {"errors": exc.errors()})
        order_id = str(uuid.uuid4())
        try:
            aws_client("dynamodb").put_item(TableName=self.table, Item={
                "id": {"S": order_id},
                "customer": {"S": order.customer_id},
                "total": {"N": str(order.total)},
                "created": {"S": datetime.now(timezone.utc).isoformat()},
            }, ConditionExpression="attribute_not_exists(id)")
        except ClientError as exc:
            return json_response(409, {"error": exc.response["Error"]["Code"]})
        aws_client("events").put_events(Entries=[{"EventBusName": self.bus, "Source": "orders",
                                                   "DetailType": "OrderCreated", "Detail": order.model_dump_json()}])
        return json_response(201, {"id": order_id, "total": str(order.total)})

    def get(self, event: dict) -> dict:
        order_id = event["pathParameters"]["id"]
        item = aws_client("dynamodb").get_item(TableName=self.table, Key={"id": {"S": order_id}}).get("Item")
        return json_response(200 if item else 404, item or {"error": "not found"})


def handler(event, context):
    api = OrderAPI()
    if event.get("httpMethod") == "POST":
        return api.create(event)
    return api.get(event)
