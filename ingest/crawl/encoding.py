"""Page encodings: a BOM, the HTTP charset, <meta charset>, then detection; and the rewrite of a
stored page's charset declarations to utf-8."""
from __future__ import annotations

import codecs
import re

_ENCODING_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "gb_2312": "gb18030", "csgb2312": "gb18030", "cp936": "gb18030", "ms936": "gb18030",
    "windows-936": "gb18030", "euc-cn": "gb18030", "euccn": "gb18030", "chinese": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cn-big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
    "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "windows-1252": "cp1252",
    "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    # a page cannot really be UTF-16 if its meta tag was readable as ASCII (WHATWG rule)
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8",
}
_WEAK = {"cp1252"}  # a Latin-1 header is usually a server default, not a statement about the page
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)
_META_TEXT_RE = re.compile(r"<meta\b[^>]*>", re.I)
_META_CHARSET_VALUE_RE = re.compile(r"""(charset\s*=\s*["']?\s*)([A-Za-z0-9_.:\-]+)""", re.I)


def canonical_encoding(name: str | None) -> str | None:
    """Python codec name for a declared charset (gb2312/gbk → gb18030, big5 → big5hkscs, latin-1 →
    cp1252), or None if unknown."""
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    n = _ENCODING_ALIASES.get(n, n)
    try:
        codec = codecs.lookup(n).name
    except LookupError:
        return None
    return _ENCODING_ALIASES.get(codec, codec)


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _CHARSET_RE.search(content_type.encode("latin-1", "replace"))
    return m.group(1).decode("ascii") if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset a ``<meta charset>`` or ``http-equiv`` tag in the first 4 KiB declares."""
    for tag in _META_RE.finditer(body[:4096]):
        m = _CHARSET_RE.search(tag.group(0))
        if m:
            return m.group(1).decode("ascii")
    return None


def _bad_ratio(text: str) -> float:
    return text.count("\ufffd") / max(1, len(text))


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page: ``(text, python codec name)``. See the module docstring for the order."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[2:].decode(enc, "replace"), enc.replace("-le", "").replace("-be", "")

    header = canonical_encoding(header_charset(content_type))
    meta = canonical_encoding(meta_charset(body))
    declared = [e for e in (header, meta) if e]
    if header in _WEAK and meta:
        declared = [meta, header]
    declared = list(dict.fromkeys(declared))
    for enc in declared:
        try:
            return body.decode(enc), enc
        except UnicodeDecodeError:
            continue
    # a declared charset with a few broken bytes (a truncated or patched page) still beats a guess
    for enc in declared:
        text = body.decode(enc, "replace")
        if _bad_ratio(text) < 0.001:
            return text, enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None:
        enc = canonical_encoding(best.encoding) or best.encoding
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            return str(best), best.encoding
    enc = declared[0] if declared else "utf-8"
    return body.decode(enc, "replace"), enc


def rewrite_meta_charset(html: str) -> str:
    """Make every ``<meta … charset=X …>`` declaration say ``utf-8`` (the stored encoding)."""

    def fix(m: re.Match) -> str:
        return _META_CHARSET_VALUE_RE.sub(lambda v: v.group(1) + "utf-8", m.group(0), count=1)

    return _META_TEXT_RE.sub(fix, html)


