"""The records the stages exchange (see DESIGN.md, "Records").

Every stage reads and writes these; none reaches into another stage's internals.
They are pydantic models so that they round-trip through JSON lines unchanged.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["service_item", "policy", "qa", "article", "bundle"]
KINDS: tuple[str, ...] = ("service_item", "policy", "qa", "article", "bundle")


class Material(BaseModel):
    """One entry of a service item's 申请材料 list. Unknown attributes stay None."""

    model_config = ConfigDict(frozen=True)

    name: str
    copies: str | None = None  # 份数, as the source states it ("1", "原件1份")
    original_or_copy: str | None = None  # 原件 / 复印件 / 原件和复印件 / 电子版
    required: bool | None = None  # 是否必需
    condition: str | None = None  # 适用情形 (when the material is needed)
    start: int | None = None  # the span of the material's name in the document's clean text (set by ingest)
    end: int | None = None


class Document(BaseModel):
    """A source document after cleaning.

    ``text`` is the clean text every chunk span points into. ``fields`` carries the
    structured parts: for service items ``materials`` (list of Material dicts),
    ``time_limit_legal``, ``time_limit_promised``, ``conditions``, ``location``,
    ``phone``, ``complaint_phone``, ``fee``, ``basis``, ``audience``; for bundles
    ``members`` (doc ids of the member items); anything else a source provides.
    """

    model_config = ConfigDict(frozen=True)

    doc_id: str
    source: str
    kind: Kind
    title: str
    text: str
    url: str | None = None
    department: str | None = None  # issuer / 实施主体 / answering unit
    region: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd where known
    doc_number: str | None = None  # 发文字号 for policies
    fields: dict[str, Any] = Field(default_factory=dict)

    @property
    def materials(self) -> list[Material]:
        return [Material(**m) for m in self.fields.get("materials") or []]


class Chunk(BaseModel):
    """A retrievable passage: ``text == document.text[start:end]``.

    ``title`` repeats the document title so the chunk can be indexed and cited on
    its own (the title is context, not part of the span).
    """

    model_config = ConfigDict(frozen=True)

    chunk_id: str  # f"{doc_id}#{n}"
    doc_id: str
    section: str
    text: str
    start: int
    end: int
    title: str = ""


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    doc_id: str
    chunk_id: str
    section: str
    start: int
    end: int
    url: str | None = None


class Hit(BaseModel):
    """One ranked result. Higher ``score`` is better; ``scores``/``ranks`` per channel."""

    doc_id: str
    chunk_id: str
    title: str
    section: str
    snippet: str
    score: float
    scores: dict[str, float | None] = Field(default_factory=dict)
    ranks: dict[str, int | None] = Field(default_factory=dict)
    url: str | None = None
    kind: str | None = None
    source: str | None = None
    department: str | None = None
    citation: Citation
    highlights: list[str] = Field(default_factory=list)
    # how likely this hit answers the query, in [0, 1], comparable across queries (not normalised
    # within one result list like ``score``); None when the index has no calibration
    confidence: float | None = None
    validity: dict[str, Any] | None = None  # policies: see answer.policies (status, from, until, evidence)
