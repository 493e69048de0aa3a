"""Network failures, each naming the URL and what the user can do."""

from __future__ import annotations


class NetError(Exception):
    """Base for everything that went wrong talking to an index."""

    def __init__(self, url: str, reason: str, hint: str = "") -> None:
        self.url = url
        self.reason = reason
        self.hint = hint
        msg = f"{url}: {reason}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class IndexUnreachable(NetError):
    """The index could not be contacted at all (DNS, refused, TLS, timeout)."""


class NotCached(IndexUnreachable):
    """Offline mode, and the answer is not in the cache."""


class NotFound(NetError):
    """The index answered 404 for a project or file."""


class BadResponse(NetError):
    """The index answered, but with something we cannot use."""
