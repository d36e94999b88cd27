"""Bytes of a saved page → text: BOM, ``<meta charset>``, then charset detection.

gb2312/gbk are decoded as their superset gb18030 (GBK pages carry GB18030-only characters),
big5 as big5hkscs. A declared charset that does not decode is passed over. A text that is
mostly replacement and control characters is binary, not a page (:func:`check_not_binary`).
"""
from __future__ import annotations

import re

from core.errors import GovsearchError


class PageError(GovsearchError):
    """A saved page cannot be parsed."""

    hint = "check that the file is a saved HTML page"


class EmptyPage(PageError):
    """The page has no body text once site chrome is removed (e.g. a PDF-only page)."""

    hint = "the page holds no article text; save the document's text or skip the page"


class BinaryPage(EmptyPage):
    """The file is binary (or badly corrupted), not a text page: decoding it yields mostly
    replacement and control characters. An :class:`EmptyPage`, so every caller skips it."""

    hint = "the file is not a saved HTML page; remove it or save the page again"


_BINARY_CHARS = re.compile("[\ufffd\x00-\x08\x0e-\x1f\x7f]")
BINARY_SHARE = 0.05  # more than this share of replacement / control characters: binary
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb18030", "hz", "x-gbk", "cp936", "euc-cn"}


def check_not_binary(text: str, path) -> None:
    """Raise :class:`BinaryPage` when more than :data:`BINARY_SHARE` of ``text`` is control /
    replacement characters."""
    if text and len(_BINARY_CHARS.findall(text)) > BINARY_SHARE * len(text):
        raise BinaryPage(f"{path}: binary or corrupted content, not a text page; skipped")


def norm_encoding(name: str) -> str:
    n = name.strip().lower()
    if n.replace("-", "").replace("_", "") in {g.replace("-", "") for g in _GB}:
        return "gb18030"
    if n in ("big5", "big-5", "cp950"):
        return "big5hkscs"
    return n


def decode_html(raw: bytes) -> str:
    """Bytes → str: BOM, then ``<meta charset>`` (if it decodes cleanly), then detection."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    declared = [norm_encoding(m.decode("ascii", "ignore")) for m in _META_CHARSET.findall(raw[:4096])]
    for enc in dict.fromkeys(declared):
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is not None and best.encoding:
        try:
            return raw.decode(norm_encoding(best.encoding))
        except (UnicodeDecodeError, LookupError):
            return str(best)
    return raw.decode("utf-8", errors="replace")
