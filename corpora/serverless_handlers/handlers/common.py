"""Helpers shared by handlers: responses, config, lazily created AWS clients."""

from __future__ import annotations

import base64
import functools
import json
import logging
import os

import boto3
from botocore.config import Config

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

RETRIES = Config(retries={"max_attempts": 5, "mode": "adaptive"})


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, default=str),
    }


def request_body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise KeyError(f"missing environment variable {name}")
    return value


@functools.lru_cache(maxsize=None)
def aws_client(service: str):
    """One client per service and container; created on first use, reused across invocations."""
    return boto3.client(service, config=RETRIES)
