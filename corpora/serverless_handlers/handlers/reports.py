"""A monthly usage report: DynamoDB items rendered with Jinja2, mailed with SES."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from boto3.dynamodb.conditions import Key
from jinja2 import Environment, PackageLoader, select_autoescape

from .common import aws_client, env, logger

templates = Environment(loader=PackageLoader("handlers", "templates"), autoescape=select_autoescape(["html"]))


def _month_bounds(today: dt.date) -> tuple[str, str]:
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    return last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()


def monthly_report(event, context):
    start, end = _month_bounds(dt.date.today())
    table = aws_client("dynamodb")
    items = table.query(TableName=env("USAGE_TABLE"),
                        KeyConditionExpression=Key("month").eq(start[:7]) & Key("day").between(start, end))["Items"]
    total = sum(Decimal(str(i["units"])) for i in items)
    html = templates.get_template("report.html").render(items=items, total=total, start=start, end=end)
    aws_client("ses").send_email(
        Source=env("REPORT_FROM"),
        Destination={"ToAddresses": env("REPORT_TO").split(",")},
        Message={"Subject": {"Data": f"Usage {start[:7]}"}, "Body": {"Html": {"Data": html}}},
    )
    logger.info("report for %s: %d items", start[:7], len(items))
    return {"items": len(items), "total": str(total)}
