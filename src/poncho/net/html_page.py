"""PEP 503 HTML project pages: the anchors of a page as IndexFile records.

Its own module so that ``html.parser`` loads only for an index that answers
in HTML (PyPI and most mirrors answer PEP 691 JSON).
"""

from __future__ import annotations

import urllib.parse
from html.parser import HTMLParser

from .index_file import IndexFile


class LinkParser(HTMLParser):
    """Collects every ``<a>`` of a page, joined to the page URL or its ``<base>``."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.files: list[IndexFile] = []
        self._attrs: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[override]
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urllib.parse.urljoin(self.base, href)
        if tag == "a":
            self._attrs = dict(attrs)
            self._text = []

    def handle_data(self, data):  # type: ignore[override]
        if self._attrs is not None:
            self._text.append(data)

    def handle_endtag(self, tag):  # type: ignore[override]
        if tag != "a" or self._attrs is None:
            return
        attrs, self._attrs = self._attrs, None
        href = attrs.get("href")
        if not href:
            return
        url, _, fragment = urllib.parse.urljoin(self.base, href).partition("#")
        hashes = {}
        if "=" in fragment:
            algo, _, digest = fragment.partition("=")
            hashes[algo] = digest
        filename = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        has_meta: bool | None = None
        meta_hash = None
        if meta is not None:
            has_meta = meta != "false"
            if meta.startswith("sha256="):
                meta_hash = meta.split("=", 1)[1]
        rp = attrs.get("data-requires-python")
        self.files.append(IndexFile(
            filename=filename, url=url, hashes=hashes,
            requires_python=rp or None, yanked="data-yanked" in attrs,
            core_metadata=has_meta, metadata_sha256=meta_hash,
        ))
