"""The policy stage on a loaded index, for the service, the CLI and eval (no HTTP here).

``policy_state(engine)`` is one :class:`PolicyState` per loaded index (weakly keyed by the engine, so a
reload's new index gets its own and the old one goes with its index). Each part is computed once, on
first use: the validity facts of every policy and article and the repeal links between them
(:func:`corpus_facts`, :func:`link_repeals`; 1.4 s for the 422 real policy documents), their validity
on a date (15 ms for all of them; the last :data:`DATES` dates are kept), and the analyses matching
needs (eligibility criteria; on the first match, not at startup).

``attach(engine)`` lets the engine's candidate stage use it (:class:`index.engine.DocStates`): the
``valid_on`` filter (:func:`is_current`: in force, or open for applications, on that date; documents
without a validity — service guides, answers — are not policies and pass), expired documents ranked
below equally relevant ones (:func:`index.retrieve.demote`), and ``validity`` on the hits of policies.

``match_policies(engine, profile, need=..., as_of=..., k=...)`` matches a company profile; with a need,
one retrieval over the policies for the need's text gives the relevance matching blends in.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from datetime import date
from typing import Any, Callable

from answer.policies.eligibility import extract_eligibility
from answer.policies.matching import match
from answer.policies.records import (
    CompanyProfile, MatchPage, PolicyAnalysis, RepealedBy, Validity, ValidityFacts,
)
from answer.policies.validity import corpus_facts, is_current, link_repeals, validity

POLICY_KINDS = ("policy", "article")  # the kinds that state a validity (answer.policies.corpus_facts)
DATES = 32  # validity tables kept (one per as_of date asked for)
MAX_K = 100


class PolicyState:
    """The policy stage's state for one loaded index (see the module docstring). Thread-safe."""

    def __init__(self, store):
        self._store = store  # index.docstore.DocStore: documents and chunks (not the engine: no cycle)
        self._lock = threading.Lock()
        self._facts: dict[str, ValidityFacts] | None = None
        self._repealed: dict[str, RepealedBy] | None = None
        self._analyses: list[PolicyAnalysis] | None = None
        self._on: OrderedDict[date, dict[str, Validity]] = OrderedDict()

    # -- computed once

    def _policy_docs(self):
        return [d for d in self._store.documents() if d.kind in POLICY_KINDS]

    def facts(self) -> dict[str, ValidityFacts]:
        """doc_id → what the document states about its validity (policies and articles)."""
        if self._facts is None:
            with self._lock:
                if self._facts is None:
                    docs = self._policy_docs()
                    facts = corpus_facts(docs, {d.doc_id: self._store.chunks(d.doc_id) for d in docs})
                    self._repealed = link_repeals(facts)
                    self._facts = facts
        return self._facts

    def repealed(self) -> dict[str, RepealedBy]:
        """doc_id → the document of this index that repeals it."""
        self.facts()
        return self._repealed or {}

    def analyses(self) -> list[PolicyAnalysis]:
        """Validity facts and eligibility of every policy and article (what matching needs)."""
        facts = self.facts()
        if self._analyses is None:
            with self._lock:
                if self._analyses is None:
                    self._analyses = [
                        PolicyAnalysis(doc_id=d.doc_id, title=d.title, url=d.url, region=d.region,
                                       facts=facts[d.doc_id],
                                       eligibility=extract_eligibility(d, self._store.chunks(d.doc_id)))
                        for d in self._policy_docs()]
        return self._analyses

    def on(self, as_of: date) -> dict[str, Validity]:
        """doc_id → validity on ``as_of`` of every policy and article (computed once per date)."""
        with self._lock:
            table = self._on.get(as_of)
            if table is not None:
                self._on.move_to_end(as_of)
                return table
        facts, repealed = self.facts(), self.repealed()
        table = {k: validity(f, as_of, repealed.get(k)) for k, f in facts.items()}
        with self._lock:
            self._on[as_of] = table
            while len(self._on) > DATES:
                self._on.popitem(last=False)
        return table

    def validity(self, doc_id: str, as_of: date | None = None) -> Validity | None:
        """The validity of a document on ``as_of`` (today by default); None for a document that is not
        a policy or article (a service guide, an answer: nothing to say)."""
        return self.on(as_of or date.today()).get(self._store.canonical(doc_id))

    # -- what the engine's candidate stage asks (index.engine.DocStates)

    def keep_on(self, on: date) -> Callable[[str], bool]:
        table = self.on(on)
        return lambda doc_id: doc_id not in table or is_current(table[doc_id])

    def demoted(self, as_of: date) -> Callable[[str], bool]:
        table = self.on(as_of)
        return lambda doc_id: doc_id in table and table[doc_id].status == "expired"

    def describe(self, doc_id: str, as_of: date) -> dict[str, Any] | None:
        v = self.on(as_of).get(doc_id)
        return None if v is None else v.model_dump(mode="json", by_alias=True)


_STATES: "weakref.WeakKeyDictionary[Any, PolicyState]" = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def policy_state(engine) -> PolicyState:
    """The :class:`PolicyState` of a loaded index (made on first call, nothing computed yet)."""
    with _STATES_LOCK:
        st = _STATES.get(engine)
        if st is None:
            st = getattr(engine, "doc_states", None)
            if not isinstance(st, PolicyState):
                st = PolicyState(engine.store)
            _STATES[engine] = st
        return st


def attach(engine, warm: bool = False):
    """Let ``engine``'s candidate stage use the policies' validity; ``warm`` computes the facts now (a
    service does, while it loads, so that no request pays for them). Returns the engine."""
    engine.doc_states = policy_state(engine)
    if warm:
        engine.doc_states.facts()
    return engine


def doc_validity(engine, doc_id: str, as_of: date | None = None) -> Validity | None:
    return policy_state(engine).validity(doc_id, as_of)


def need_relevance(engine, need: str) -> dict[str, float]:
    """doc_id → the fused retrieval score of each policy (and article) for the need's text: one
    retrieval restricted to those kinds (the need must be a valid query: 1-200 characters)."""
    kinds = tuple(k for k in POLICY_KINDS if k in (engine.facets().get("kind") or ()))
    if not kinds:
        return {}
    q = engine.resolve(need, k=10, filters={"kind": kinds})
    _, ranked = engine.candidates(q)
    return {c.doc_id: c.score for c in ranked}


def match_policies(engine, profile: CompanyProfile | dict, *, need: str | None = None, as_of: date | None = None,
                   k: int = 10) -> MatchPage:
    """The policies of the index ``profile`` qualifies for on ``as_of`` (today by default), best first,
    and those it does not (with the reasons): the first ``k`` of each (1 to :data:`MAX_K`)."""
    if not isinstance(profile, CompanyProfile):
        profile = CompanyProfile.model_validate(profile)
    k = max(1, min(int(k), MAX_K))
    state = policy_state(engine)
    analyses = state.analyses()
    need = (need or profile.need or "").strip() or None
    relevance = need_relevance(engine, need) if need else None
    res = match(profile, analyses, as_of or date.today(), repealed_by=state.repealed(), relevance=relevance)
    rejected = res.not_eligible
    if relevance:
        rejected = sorted(rejected, key=lambda m: (-relevance.get(m.doc_id, float("-inf")), m.doc_id))
    return MatchPage(as_of=res.as_of, matches=res.matches[:k], not_eligible=rejected[:k], need=need, k=k,
                     total_matches=len(res.matches), total_not_eligible=len(rejected), policies=len(analyses))


__all__ = ["PolicyState", "policy_state", "attach", "doc_validity", "need_relevance", "match_policies",
           "POLICY_KINDS", "MAX_K"]
