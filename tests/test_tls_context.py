"""One CA bundle parse per run: every HTTPS connection of a session verifies with the same loaded context."""

from __future__ import annotations

import ssl

import requests

from poncho.net import make_session
from poncho.net.session import _SharedTLS


def _pool_kwargs(session: requests.Session, url: str, verify, cert=None) -> dict:
    adapter = session.get_adapter(url)
    assert isinstance(adapter, _SharedTLS)
    request = requests.Request("GET", url).prepare()
    return adapter.build_connection_pool_key_attributes(request, verify, cert)[1]


def test_connections_share_one_context_loaded_from_the_bundle(tmp_path):
    import certifi

    for session in (make_session(tmp_path / "c"), make_session(None)):
        first = _pool_kwargs(session, "https://index.example/simple/a/", certifi.where())
        second = _pool_kwargs(session, "https://files.example/b.whl", certifi.where())
        assert "ca_certs" not in first and first["cert_reqs"] == "CERT_REQUIRED"
        context = first["ssl_context"]
        assert context is second["ssl_context"] and isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.cert_store_stats()["x509_ca"] > 0
        # requests' default (verify=True) gets its bundle loaded once too
        assert _pool_kwargs(session, "https://index.example/", True)["ssl_context"].cert_store_stats()["x509_ca"] > 0


def test_a_client_certificate_or_a_ca_directory_keeps_requests_own_path(tmp_path):
    import certifi

    session = make_session(None)
    with_cert = _pool_kwargs(session, "https://index.example/", certifi.where(), cert=str(tmp_path / "client.pem"))
    assert with_cert["ca_certs"] == certifi.where() and "ssl_context" not in with_cert
    as_dir = _pool_kwargs(session, "https://index.example/", str(tmp_path))
    assert as_dir["ca_cert_dir"] == str(tmp_path) and "ssl_context" not in as_dir
    assert _pool_kwargs(session, "https://index.example/", False)["cert_reqs"] == "CERT_NONE"
