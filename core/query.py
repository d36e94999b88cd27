"""The query record: what a caller asks for, parsed and validated once.

``Query.parse(text, k=…, mode=…, …)`` returns a frozen :class:`Query` or raises
:class:`~core.errors.BadQuery` with a message naming the parameter and the allowed values. The HTTP
routes, the CLI and eval all build their queries through it, so the rules live here only. Filter
*values* depend on the index served; the index checks them against the facets it computed at load.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from core.errors import BadQuery

FACETS = ("source", "kind", "department", "region")
MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("weighted", "rrf")
CHANNELS = ("bm25", "dense")
MAX_CHARS = 200
MAX_K = 1000


def _date(value, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadQuery(f"{name} must be a date YYYY-MM-DD, not {value!r}") from None


@dataclass(frozen=True)
class Query:
    """One validated search request. ``filters`` maps a facet to the values it may take (any of them)."""

    text: str
    k: int = 10
    mode: str = "hybrid"
    fusion: str | None = None  # None: the index's configured fusion
    weights: Mapping[str, float] | None = None  # None: the configured weights
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    valid_on: date | None = None  # only documents in force (or open for applications) on this date
    as_of: date | None = None  # the date validity is computed for (None: today)

    @classmethod
    def parse(cls, text, *, k=10, mode: str | None = "hybrid", fusion: str | None = None,
              weights: Mapping[str, object] | None = None, filters: Mapping[str, object] | None = None,
              valid_on=None, as_of=None, max_chars: int = MAX_CHARS, max_k: int = MAX_K) -> "Query":
        if not isinstance(text, str):
            raise BadQuery(f"the query must be text, not {type(text).__name__}")
        q = text.strip()
        if not q:
            raise BadQuery(f"the query must be 1-{max_chars} characters after trimming whitespace; it is empty",
                           hint=f"send a query of 1-{max_chars} characters")
        if len(q) > max_chars:
            raise BadQuery(f"the query must be 1-{max_chars} characters after trimming whitespace; it has {len(q)}",
                           hint=f"send a query of 1-{max_chars} characters")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= max_k:
            raise BadQuery(f"k must be an integer from 1 to {max_k}, not {k!r}")
        mode = mode or "hybrid"
        if mode not in MODES:
            raise BadQuery(f"unknown mode {mode!r}", hint=f"use one of {', '.join(MODES)}")
        if fusion is not None and fusion not in FUSIONS:
            raise BadQuery(f"unknown fusion {fusion!r}", hint=f"use one of {', '.join(FUSIONS)}")
        w = None
        if weights:
            bad = set(weights) - set(CHANNELS)
            if bad:
                raise BadQuery(f"unknown weight channel(s) {sorted(bad)}", hint="weights take bm25 and dense")
            w = {}
            for key, v in weights.items():
                try:
                    v = float(v)
                except (TypeError, ValueError):
                    raise BadQuery(f"weight {key}={v!r} is not a number") from None
                if not (v >= 0 and math.isfinite(v)):
                    raise BadQuery(f"weight {key}={v!r} must be a finite number ≥ 0")
                w[key] = v
        f: dict[str, tuple[str, ...]] = {}
        for name, want in (filters or {}).items():
            if name not in FACETS:
                raise BadQuery(f"unknown filter {name!r}", hint=f"filters: {', '.join(FACETS)}")
            values = _values(want)
            if values:
                f[name] = values
        return cls(text=q, k=k, mode=mode, fusion=fusion, weights=w, filters=f,
                   valid_on=_date(valid_on, "valid_on"), as_of=_date(as_of, "as_of"))

    def with_(self, **changes) -> "Query":
        """A copy with some fields changed (not validated again: pass valid values)."""
        from dataclasses import replace

        return replace(self, **changes)


def _values(want) -> tuple[str, ...]:
    if want is None or want == "" or want == []:
        return ()
    if isinstance(want, str):
        return (want,)
    if isinstance(want, Iterable):
        return tuple(str(x) for x in want if x not in (None, ""))
    return (str(want),)


def resolve_weights(query: Query, defaults: Mapping[str, float]) -> dict[str, float]:
    """The channel weights a query uses (its own over the defaults); both 0 is refused (no ranking left)."""
    w = dict(defaults)
    if query.weights:
        w.update(query.weights)
    if query.mode == "hybrid" and not any(w.get(ch, 0) > 0 for ch in CHANNELS):
        raise BadQuery("the bm25 and dense weights are both 0: nothing would rank the results",
                       hint="give at least one channel a weight above 0")
    return w
