"""Webhooks: check a signature, forward a payload to the configured endpoint."""

from __future__ import annotations

import hashlib
import hmac

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .common import env, json_response, logger, request_body

_session = None


def _http() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        retry = Retry(total=3, backoff_factor=0.5, status_forcelist=(502, 503, 504))
        _session.mount("https://", HTTPAdapter(max_retries=retry))
    return _session


def verify_signature(event, context):
    """GitHub-style `X-Hub-Signature-256` check; needs nothing beyond the standard library."""
    secret = env("WEBHOOK_SECRET").encode()
    body = request_body(event)
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    given = (event.get("headers") or {}).get("x-hub-signature-256", "")
    ok = hmac.compare_digest(expected, given)
    return json_response(200 if ok else 401, {"valid": ok})


def forward_webhook(event, context):
    body = request_body(event)
    response = _http().post(env("FORWARD_URL"), data=body, timeout=10,
                            headers={"Content-Type": event.get("headers", {}).get("content-type", "application/json")})
    logger.info("forwarded %d bytes: HTTP %d", len(body), response.status_code)
    return json_response(response.status_code, {"forwarded": response.ok})
