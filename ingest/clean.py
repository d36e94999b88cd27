"""Text cleaning: one function, ``clean(text) -> str``, applied to every document.

What it does, in order:

1. Unicode NFKC, except for the Chinese punctuation NFKC would turn into ASCII
   (``，：；！？（）～`` …, circled numbers ①…⑳ and the ellipsis ``…``): full-width
   letters and digits become half-width, odd spaces (``\\u3000``, ``\\xa0``) become
   plain spaces, compatibility forms are unified; ``（一）`` and ``：`` survive.
   Zero-width characters and control characters (except newlines) are removed.
2. Traditional → simplified Chinese with OpenCC (``t2s``).
3. Pinyin glosses after a Han character are removed: ``区(qū)``, ``产(chǎn)``,
   ``政（zhèng）`` — a parenthesised Latin syllable carrying tone marks or a tone
   digit right after a Han character.
4. Whitespace: runs of spaces/tabs collapse to one space, lines are stripped,
   blank lines are dropped: every remaining line is one paragraph.
5. ASCII parentheses around Chinese text and ASCII ``, ; : ! ?`` between Han characters
   become their full-width forms, so scraped text punctuates like the rest.

``clean`` is idempotent: ``clean(clean(x)) == clean(x)``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# Characters NFKC would fold to ASCII but Chinese text needs as they are.
KEEP = frozenset("，：；！？（）～…" + "".join(chr(c) for c in range(0x2460, 0x2474)))  # ①..⑳
_KEEP_SPLIT = re.compile("([" + re.escape("".join(sorted(KEEP))) + "])")

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace except newline

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# a pinyin syllable with at least one tone mark, or letters plus a tone digit 1-5
_SYLLABLE = rf"(?:[a-zü]*[{_TONED}][a-zü]*|[a-zü]{{1,6}}[1-5])"
_GLOSS = re.compile(rf"(?<=[{HAN}])\s?[(（]{_SYLLABLE}[)）]")

# ASCII punctuation inside Chinese text → full-width.
_ASCII_PUNCT = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_PUNCT_BETWEEN_HAN = re.compile(rf"(?<=[{HAN}”’》）」])([,;:!?])(?=\s?[{HAN}“‘《（「])")
_PUNCT_AFTER_HAN_EOL = re.compile(rf"(?<=[{HAN}])([,;:!?])(?=\n|$)")
_ASCII_PARENS_HAN = re.compile(rf"\(([^()\n]*[{HAN}][^()\n]*)\)")


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError as e:  # a core dependency, but say what to do
        raise ImportError("opencc is needed for traditional→simplified: pip install opencc") from e
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC t2s); simplified text passes unchanged."""
    return _t2s().convert(text) if text else text


def _nfkc_keep_punct(text: str) -> str:
    parts = _KEEP_SPLIT.split(text)
    # odd indexes are the kept characters themselves
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def clean(text: str) -> str:
    """Clean one text (see the module docstring). Idempotent."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = _nfkc_keep_punct(text)
    text = _CONTROL.sub(lambda m: " " if m.group() == "\t" else "", text)
    text = to_simplified(text)
    text = _GLOSS.sub("", text)
    text = _SPACES.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    text = "\n".join(line for line in lines if line)
    # after whitespace, so a second pass sees the same neighbours (idempotence)
    text = _ASCII_PARENS_HAN.sub(r"（\1）", text)
    text = _PUNCT_BETWEEN_HAN.sub(lambda m: _ASCII_PUNCT[m.group(1)], text)
    return _PUNCT_AFTER_HAN_EOL.sub(lambda m: _ASCII_PUNCT[m.group(1)], text)


def clean_line(text: str) -> str:
    """``clean`` for one-line values (titles, names): newlines become spaces."""
    return clean(text).replace("\n", " ")


PLACEHOLDERS = frozenset({"无", "无。", "暂无", "/", "-", "--", "—", "null", "none", "n/a", "空"})


def is_placeholder(value: Any) -> bool:
    """True for values that mean "not stated": None, "", "无", "无。", "暂无", "/", [], {}."""
    if value is None:
        return True
    if isinstance(value, str):
        v = value.strip().strip("　")
        return not v or v.lower() in PLACEHOLDERS or v in PLACEHOLDERS
    if isinstance(value, (list, tuple, set, dict)):
        return all(is_placeholder(v) for v in (value.values() if isinstance(value, dict) else value))
    return False


def clean_value(value: Any) -> Any:
    """Clean a field value: strings cleaned, containers cleaned recursively with their
    placeholder members dropped; None when the whole value is a placeholder."""
    if is_placeholder(value):
        return None
    if isinstance(value, str):
        v = clean(value)
        return None if is_placeholder(v) else v
    if isinstance(value, (list, tuple)):
        out = [c for c in (clean_value(v) for v in value) if c is not None]
        return out or None
    if isinstance(value, dict):
        out = {k: c for k, c in ((k, clean_value(v)) for k, v in value.items()) if c is not None}
        return out or None
    return value


def clean_document(doc):
    """A copy of ``doc`` with ``text``, ``title`` and every string in ``fields`` cleaned
    (placeholders dropped from ``fields``; other attributes' strings cleaned too)."""
    update: dict[str, Any] = {"text": clean(doc.text), "title": clean_line(doc.title)}
    for attr in ("department", "region", "doc_number"):
        v = getattr(doc, attr)
        if isinstance(v, str):
            update[attr] = clean_line(v) or None
    fields = {}
    for k, v in (doc.fields or {}).items():
        c = clean_value(v)
        if c is not None:
            fields[k] = c
    update["fields"] = fields
    return doc.model_copy(update=update)


__all__ = ["clean", "clean_line", "clean_value", "clean_document", "is_placeholder", "to_simplified", "KEEP"]
