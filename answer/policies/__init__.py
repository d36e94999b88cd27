"""Policies for enterprises: validity (in force or not, cited), eligibility criteria and support
standards, and matching a company profile against policies.

Pure functions over core.records Document / Chunk; no HTTP, no index internals.

- ``corpus_facts(docs, chunks_by_doc)`` once per build → ``{doc_id: ValidityFacts}``;
  ``link_repeals(facts)`` → ``{doc_id: RepealedBy}``; ``validity(facts[d], as_of, repealed.get(d))``
  per request (cheap). ``corpus_validity`` does the three at once; ``is_current(v)`` is the
  ``valid_on`` filter.
- ``analyse_policies(docs, chunks_by_doc)`` once per build → ``[PolicyAnalysis]``;
  ``match(profile, analyses, as_of, repealed_by=..., relevance=...)`` per request.
- ``score_validity(labels, docs_by_id, chunks_by_doc)`` / ``score_matches(cases, …)`` for eval.
"""
from answer.policies.eligibility import extract_eligibility
from answer.policies.matching import analyse_policies, analyse_policy, evaluate, match
from answer.policies.records import (
    CompanyProfile, Criterion, Eligibility, MatchResult, PolicyAnalysis, PolicyMatch, RepealedBy, Validity,
    ValidityFacts, Window,
)
from answer.policies.scoring import read_build, read_jsonl, score_matches, score_validity
from answer.policies.validity import (
    corpus_facts, corpus_validity, extract_validity, is_current, link_repeals, validity,
)

__all__ = [
    "extract_validity", "validity", "link_repeals", "corpus_facts", "corpus_validity", "is_current",
    "extract_eligibility", "analyse_policy", "analyse_policies", "match", "evaluate",
    "score_validity", "score_matches", "read_build", "read_jsonl",
    "CompanyProfile", "Criterion", "Eligibility", "MatchResult", "PolicyAnalysis", "PolicyMatch", "RepealedBy",
    "Validity", "ValidityFacts", "Window",
]
