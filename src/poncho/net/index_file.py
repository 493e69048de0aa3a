"""One downloadable file of a project, as an index lists it, and the checks every listing passes."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from poncho.errors import BadResponse, Reason


@dataclass(frozen=True)
class IndexFile:
    """One downloadable file of a project, as the index describes it."""

    filename: str
    url: str
    hashes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    requires_python: str | None = None
    yanked: bool = False
    size: int | None = None
    # PEP 658/714: True/False when the index said; None when it did not say.
    core_metadata: bool | None = None
    metadata_sha256: str | None = None

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def checked(files: tuple[IndexFile, ...], page_url: str) -> tuple[IndexFile, ...]:
    """Refuse what no honest index sends: a remote page pointing at local files, malformed hashes.

    A ``file:`` URL is honoured only on a page the user's own ``file://``
    index served; a hash that is not 64 hex digits could smuggle text into
    a lock and is an index error naming the file.
    """
    remote = not page_url.startswith("file:")
    for f in files:
        if remote and not f.url.startswith(("https://", "http://")) \
                and (scheme := urllib.parse.urlsplit(f.url).scheme.lower()) not in ("http", "https"):
            raise BadResponse(page_url, f"lists {f.filename!r} at a {scheme or 'relative'}: URL; a remote index "
                                        "may only point at http(s) files", kind=Reason.UNSUPPORTED)
        for value in (f.sha256, f.metadata_sha256):
            if value is not None and not _SHA256.fullmatch(value):
                raise BadResponse(page_url, f"lists {f.filename!r} with sha256 {value[:80]!r}; expected 64 hex "
                                            "digits", kind=Reason.BAD_PAGE)
    return files


def join(base: str, url: str) -> str:
    """``urljoin(base, url)``, skipped for a URL that is already absolute and plain (PyPI's: every file)."""
    if url.startswith(("https://", "http://")) and "/." not in url and "\\" not in url:
        return url
    return urllib.parse.urljoin(base, url)


def from_json(f: dict, base: str) -> IndexFile:
    """One entry of a PEP 691 page's ``files``, joined to the page URL ``base`` (not yet :func:`checked`).

    Raises TypeError, KeyError or AttributeError for an entry of the wrong shape.
    """
    # PEP 714's key, else PEP 691's original one (an index from before PEP 714), else the HTML attribute's
    # name some indexes wrote into JSON: the only signal that a .metadata file exists
    meta = f.get("core-metadata", f.get("dist-info-metadata", f.get("data-dist-info-metadata")))
    has_meta, meta_hash = _bool_or_hash(meta)
    filename, url, size = f["filename"], f["url"], f.get("size")
    if not isinstance(filename, str) or not isinstance(url, str):
        raise TypeError("a file's filename and url must be strings")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        size = None  # PEP 700's size is optional: a bad one is no size, never a bad lock
    if meta_hash is not None and not isinstance(meta_hash, str):
        raise TypeError("core-metadata sha256 must be a string")
    hashes = f.get("hashes") or {}
    if type(hashes) is not dict:
        hashes = {str(k): str(v) for k, v in dict(hashes).items()}
    else:
        for k, v in hashes.items():  # a loop, not all(genexpr): this runs for every file of a decoded release
            if type(k) is not str or type(v) is not str:
                hashes = {str(k): str(v) for k, v in hashes.items()}
                break
    return IndexFile(
        filename=filename,
        url=join(base, url),
        hashes=hashes,
        requires_python=f.get("requires-python") or None,
        yanked=bool(f.get("yanked", False)),
        size=size,
        core_metadata=has_meta,
        metadata_sha256=meta_hash,
    )


def _bool_or_hash(value: object) -> tuple[bool | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, dict):
        return True, value.get("sha256")
    return bool(value), None
