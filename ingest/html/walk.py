"""Linear traversals of a parsed page and the per-page work budget.

Every pass over a page is iterative (no recursion: 8,000 nested ``<div>``s are just a deep
stack) and visits each node a bounded number of times. Text measures an element needs again
and again (Chinese characters in it, in its links, its size) are computed once per pass by
:func:`measure` instead of calling ``get_text`` at every level, which made the old content-root
search quadratic in the nesting depth.

The budget: :func:`budget` sets a deadline for the page being parsed; the passes call
:func:`tick` as they go and :class:`PageTooExpensive` is raised once the deadline is past.
"""
from __future__ import annotations

import contextvars
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass

from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from bs4.element import CData, Script, Stylesheet, TemplateString

from ingest.html.decode import PageError

SKIP_STRINGS = (Comment, Doctype, Declaration, ProcessingInstruction, CData, Stylesheet, Script, TemplateString)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
TICK_EVERY = 2048  # nodes between two deadline checks


class PageTooExpensive(PageError):
    """A page exceeds the per-page budget (size, element count or time)."""

    hint = "the page is skipped; raise the budget (ingest's page_seconds / page_bytes) if it is genuine"


_deadline: contextvars.ContextVar[tuple[float, float, str] | None] = contextvars.ContextVar("page_deadline", default=None)
_counter = [0]


@contextmanager
def budget(seconds: float, what: str = "page"):
    """Run the block with a deadline ``seconds`` from now (nested budgets keep the earlier one)."""
    now = time.monotonic()
    outer = _deadline.get()
    until = now + seconds if outer is None else min(outer[0], now + seconds)
    token = _deadline.set((until, seconds, what))
    try:
        yield
    finally:
        _deadline.reset(token)


def tick(n: int = 1) -> None:
    """Count ``n`` units of work; every :data:`TICK_EVERY` units, check the deadline."""
    _counter[0] += n
    if _counter[0] < TICK_EVERY:
        return
    _counter[0] = 0
    d = _deadline.get()
    if d is not None and time.monotonic() > d[0]:
        raise PageTooExpensive(f"{d[2]}: over the time budget of {d[1]:g} s; skipped")


def cjk_count(s: str) -> int:
    return len(_CJK.findall(s))


def iter_tags(root: Tag):
    """Every tag under ``root`` (not ``root`` itself) in document order, iteratively."""
    for el in root.descendants:
        tick()
        if isinstance(el, Tag):
            yield el


@dataclass
class Measure:
    """Per-element text measures of one pass (keys are ``id(tag)``)."""

    cjk: dict[int, int]  # Chinese characters in the element's text
    link_cjk: dict[int, int]  # … of them inside <a> elements
    chars: dict[int, int]  # characters of the element's stripped strings
    size: dict[int, int]  # number of descendant nodes

    def of(self, el: Tag) -> int:
        return self.cjk.get(id(el), 0)

    def own(self, el: Tag) -> int:
        """Chinese characters outside links."""
        return max(0, self.cjk.get(id(el), 0) - self.link_cjk.get(id(el), 0))

    def links(self, el: Tag) -> int:
        return self.link_cjk.get(id(el), 0)


def measure(root: Tag) -> Measure:
    """One post-order pass over ``root``: text measures of every element (linear time)."""
    cjk: dict[int, int] = {}
    link: dict[int, int] = {}
    chars: dict[int, int] = {}
    size: dict[int, int] = {}
    stack: list[tuple[Tag, object, list[int]]] = [(root, iter(root.children), [0, 0, 0, 0])]
    while stack:
        node, it, acc = stack[-1]
        child = next(it, None)  # type: ignore[call-overload]
        if child is None:
            stack.pop()
            if node.name == "a":
                acc[1] = acc[0]
            key = id(node)
            cjk[key], link[key], chars[key], size[key] = acc
            if stack:
                up = stack[-1][2]
                up[0] += acc[0]
                up[1] += acc[1]
                up[2] += acc[2]
                up[3] += acc[3] + 1
            continue
        tick()
        if isinstance(child, Tag):
            stack.append((child, iter(child.children), [0, 0, 0, 0]))
        elif isinstance(child, NavigableString):
            acc[3] += 1
            if not isinstance(child, SKIP_STRINGS):
                s = child.strip()
                if s:
                    acc[0] += cjk_count(s)
                    acc[2] += len(s)
    return Measure(cjk, link, chars, size)


def alive(el: Tag) -> bool:
    """False for elements already detached by an earlier decompose() of an ancestor."""
    # decompose() empties a tag's __dict__; plain attribute access on it would fall back to
    # Tag.__getattr__ (a find() over the tree), so look in __dict__ directly
    d = el.__dict__
    return not d.get("_decomposed") and d.get("parent") is not None
