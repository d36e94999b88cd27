"""The policy stage wired into the query path: validity on hits (as of a date), the valid_on filter at
the candidate stage, expired policies ranked below equally relevant ones (never hidden), one state per
loaded index, and matching through the index — on the demo corpus as ingested and indexed."""
import gc
from datetime import date, timedelta

import pytest

from answer.policies.service import attach, match_policies, policy_state
from core.errors import BadQuery
from core.settings import Settings
from index import open_index
from index.retrieve import Candidate, demote

EXPIRED_LATER = "policy-job-stabilization-refund-2025"  # 执行至2025年12月31日
TODAY = date.today()
Q = "小微企业有什么补贴"


@pytest.fixture(scope="module")
def engine(demo_build):
    return attach(open_index(demo_build, Settings(build=str(demo_build))))


def test_demote_moves_an_expired_document_below_near_ties_only():
    ranked = [Candidate("old", 1.00), Candidate("a", 0.97), Candidate("b", 0.50), Candidate("c", 0.0)]
    out = demote(ranked, lambda d: d == "old", margin=0.05)
    assert [c.doc_id for c in out] == ["a", "old", "b", "c"]  # 1.00 - 0.05 < 0.97: a tie, lost
    assert out[1].score == pytest.approx(0.95) and out[1].scores["validity"] == pytest.approx(-0.05)
    far = [Candidate("old", 1.0), Candidate("a", 0.5), Candidate("b", 0.0)]
    assert [c.doc_id for c in demote(far, lambda d: d == "old", 0.05)] == ["old", "a", "b"]
    same = [Candidate("x", 1.0), Candidate("y", 0.5)]
    assert demote(same, lambda d: False, 0.05) == same and demote(same, lambda d: True, 0.0) == same
    tie = [Candidate("old", 0.55), Candidate("a", 0.5), Candidate("z", 0.0)]  # lowered exactly onto a: loses
    assert [c.doc_id for c in demote(tie, lambda d: d == "old", 0.1)] == ["a", "old", "z"]


def test_hits_carry_validity_as_of_the_date_asked(engine, demo_records):
    docs, _ = demo_records
    early = {h.doc_id: h for h in engine.search(Q, k=20, as_of=date(2025, 6, 1))}
    late = {h.doc_id: h for h in engine.search(Q, k=20, as_of=date(2026, 12, 1))}
    assert early[EXPIRED_LATER].validity["status"] == "in_force"
    v = late[EXPIRED_LATER].validity
    assert v["status"] == "expired" and v["until"] == "2025-12-31" and v["as_of"] == "2026-12-01"
    assert set(v) >= {"status", "from", "until", "repeals", "repealed_by", "window", "evidence"}
    for c in v["evidence"]:  # every statement it rests on is cited into the document's clean text
        assert c["doc_id"] == EXPIRED_LATER and docs[EXPIRED_LATER].text[c["start"]:c["end"]]
    until = next(s for s in v["statements"] if s["fact"] == "effective_until")
    assert docs[EXPIRED_LATER].text[until["citation"]["start"]:until["citation"]["end"]] == until["text"]
    items = [h for h in late.values() if h.kind in ("service_item", "bundle")]
    assert items and all(h.validity is None for h in items)  # not a policy: nothing said


def test_expired_notice_is_ranked_below_near_ties_but_listed(engine):
    off = engine.configured(validity_margin=0.0)
    day = date(2026, 12, 1)
    plain = [h.doc_id for h in off.search(Q, k=20, as_of=day)]
    ranked = engine.search(Q, k=20, as_of=day)
    ids = [h.doc_id for h in ranked]
    assert EXPIRED_LATER in ids  # labelled, never hidden
    assert ids.index(EXPIRED_LATER) > plain.index(EXPIRED_LATER)
    old = next(h for h in ranked if h.doc_id == EXPIRED_LATER)
    assert old.validity["status"] == "expired" and old.scores["validity"] < 0
    # nothing else moved relative to each other
    assert [d for d in ids if d != EXPIRED_LATER] == [d for d in plain if d != EXPIRED_LATER]
    # on a date it was in force it keeps its fused place
    assert [h.doc_id for h in engine.search(Q, k=20, as_of=date(2025, 6, 1))] == \
        [h.doc_id for h in off.search(Q, k=20, as_of=date(2025, 6, 1))]


def test_small_business_subsidies_valid_today_no_expired_notice(engine):
    """小微企业有什么补贴 with valid_on today: no expired notice above a relevant one in force — none at all,
    and still k results (the filter works on the candidates, before k)."""
    hits = engine.search(Q, k=10, valid_on=TODAY)
    assert len(hits) == 10
    policies = [h for h in hits if h.kind == "policy"]
    assert policies and any(h.validity["status"] == "in_force" for h in policies)
    for h in policies:
        assert h.validity["status"] == "in_force" or (h.validity["window"] and h.validity["window"]["open"]), h
        assert h.validity["status"] != "expired"
    unfiltered = [h.doc_id for h in engine.search(Q, k=30)]
    assert EXPIRED_LATER in unfiltered and EXPIRED_LATER not in [h.doc_id for h in engine.search(Q, k=30, valid_on=TODAY)]
    # and on a day it was in force, it is listed
    assert EXPIRED_LATER in [h.doc_id for h in engine.search(Q, k=30, valid_on=date(2025, 6, 1))]


def test_valid_on_restricts_policies_only_and_keeps_filters(engine):
    hits = engine.search(Q, k=30, valid_on=TODAY, filters={"kind": "policy"})
    assert hits and all(h.kind == "policy" for h in hits)
    tomorrow = engine.search(Q, k=30, valid_on=TODAY + timedelta(days=1))
    assert any(h.kind != "policy" for h in tomorrow)  # guides and bundles have no validity: not filtered


def test_valid_on_needs_the_policy_state(demo_build):
    bare = open_index(demo_build, Settings(build=str(demo_build)))
    with pytest.raises(BadQuery, match="valid_on"):
        bare.search(Q, valid_on=TODAY)
    assert all(h.validity is None for h in bare.search(Q))  # nothing attached: nothing claimed


def test_one_state_per_loaded_index_computed_once(demo_build):
    idx = attach(open_index(demo_build, Settings(build=str(demo_build))))
    st = policy_state(idx)
    assert st is idx.doc_states and policy_state(idx.configured(validity_margin=0.1)) is st
    facts = st.facts()
    assert st.facts() is facts and len(facts) == 24
    assert st.on(TODAY) is st.on(TODAY)  # the table of a date is kept
    assert st._analyses is None  # matching's analyses wait for the first match
    match_policies(idx, {"region": "示例市"})
    assert len(st.analyses()) == 24
    other = attach(open_index(demo_build, Settings(build=str(demo_build))))
    assert policy_state(other) is not st
    from answer.policies import service

    n = len(service._STATES)
    del idx, other
    gc.collect()
    assert len(service._STATES) <= n - 2  # a dropped index takes its state with it


def test_match_through_the_index_with_a_need(engine):
    profile = {"region": "示例市临江区", "industry": "软件和信息技术服务业", "entity_type": "企业法人",
               "qualifications": ["高新技术企业"], "employees": 80, "revenue_10k": 3000, "founded": 2016}
    page = match_policies(engine, profile, need="研发费用补助", as_of=date(2025, 6, 10), k=5)
    assert page.matches[0].doc_id == "policy-rd-expense-subsidy-2025"
    assert page.matches[0].relevance == 1.0 and len(page.matches) == 5 and page.total_matches > 5
    assert page.policies == 24 and page.total_matches + page.total_not_eligible <= 24
    plain = match_policies(engine, profile, as_of=date(2025, 6, 10), k=100)
    assert plain.total_matches == page.total_matches and all(m.relevance is None for m in plain.matches)
    assert {m.doc_id for m in plain.matches} >= {m.doc_id for m in page.matches}
    for m in plain.not_eligible:
        assert m.reasons
