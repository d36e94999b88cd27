"""Policies over HTTP on a real uvicorn serving the demo build: validity on /search and /docs (as_of,
valid_on), POST /policies/match, the vocabulary, and 422s for bad dates and bad profiles; the CLI's
search --valid-on and match --profile; eval of validity labels and match cases."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from govsearch.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXPIRED_LATER = "policy-job-stabilization-refund-2025"
SOFTWARE = {"region": "示例市临江区", "industry": "软件和信息技术服务业", "entity_type": "企业法人",
            "qualifications": ["高新技术企业"], "employees": 80, "revenue_10k": 3000, "founded": 2016}


@pytest.fixture(scope="module")
def api(demo_build, live_server):
    with live_server(Settings(build=str(demo_build))) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            yield client


def test_search_hits_carry_validity_and_valid_on_filters(api):
    r = api.get("/search", params={"q": "小微企业有什么补贴", "k": 20, "as_of": "2026-12-01"})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    old = next(h for h in hits if h["doc_id"] == EXPIRED_LATER)
    assert old["validity"]["status"] == "expired" and old["validity"]["until"] == "2025-12-31"
    assert old["validity"]["evidence"] and old["scores"]["validity"] < 0
    assert all(h["validity"] is None for h in hits if h["kind"] != "policy")
    r = api.get("/search", params={"q": "小微企业有什么补贴", "k": 10, "valid_on": date.today().isoformat()})
    hits = r.json()["hits"]
    assert len(hits) == 10 and EXPIRED_LATER not in [h["doc_id"] for h in hits]
    assert all(h["validity"]["status"] != "expired" for h in hits if h["validity"])
    r = api.get("/search", params={"q": "稳岗返还", "valid_on": "2025-06-01", "kind": "policy"})
    assert EXPIRED_LATER in [h["doc_id"] for h in r.json()["hits"]]


@pytest.mark.parametrize("params", [{"valid_on": "2025-13-01"}, {"as_of": "yesterday"}, {"valid_on": "20250601x"}])
def test_search_bad_dates_422(api, params):
    r = api.get("/search", params={"q": "补贴", **params})
    assert r.status_code == 422
    assert next(iter(params)) in r.json()["detail"]


def test_doc_validity_as_of(api):
    body = api.get(f"/docs/{EXPIRED_LATER}", params={"as_of": "2025-06-01"}).json()
    v = body["validity"]
    assert v["status"] == "in_force" and v["from"] == "2025-05-20" and v["as_of"] == "2025-06-01"
    text = body["document"]["text"]
    for s in v["statements"]:
        if s["citation"]:
            assert text[s["citation"]["start"]:s["citation"]["end"]] == s["text"]
    assert api.get(f"/docs/{EXPIRED_LATER}", params={"as_of": "2026-01-01"}).json()["validity"]["status"] == "expired"
    assert api.get(f"/docs/{EXPIRED_LATER}").json()["validity"]["as_of"] == date.today().isoformat()
    assert api.get("/docs/item-food-business-license-new").json()["validity"] is None
    r = api.get(f"/docs/{EXPIRED_LATER}", params={"as_of": "2025-02-30"})
    assert r.status_code == 422 and "as_of" in r.json()["detail"]


def test_match(api):
    r = api.post("/policies/match", json={"profile": SOFTWARE, "as_of": "2025-06-10", "k": 30})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == "2025-06-10" and body["k"] == 30 and body["policies"] == 24
    ids = [m["doc_id"] for m in body["matches"]]
    assert "policy-high-tech-enterprise-award-2025" in ids and "policy-specialized-sme-award-2025" not in ids
    assert len(ids) == body["total_matches"]
    for m in body["matches"]:
        assert {"doc_id", "title", "validity", "support", "window", "criteria"} <= set(m)
        assert m["validity"]["status"] in ("in_force", "unknown")
        for c in m["criteria"]:
            assert c["met"] in (True, False, None) and c["citation"]["doc_id"] == m["doc_id"]
            assert c["kind"] in ("region", "entity_type", "qualification", "industry", "threshold", "other")
    ne = {m["doc_id"]: m for m in body["not_eligible"]}
    assert "policy-specialized-sme-award-2025" in ne and ne["policy-specialized-sme-award-2025"]["reasons"]
    doc = api.get("/docs/policy-high-tech-enterprise-award-2025").json()["document"]
    ht = next(m for m in body["matches"] if m["doc_id"] == "policy-high-tech-enterprise-award-2025")
    for c in ht["criteria"]:
        assert doc["text"][c["citation"]["start"]:c["citation"]["end"]]


def test_match_need_ranks_and_k_limits(api):
    r = api.post("/policies/match", json={"profile": SOFTWARE, "need": "研发费用补助", "as_of": "2025-06-10", "k": 3})
    body = r.json()
    assert r.status_code == 200 and len(body["matches"]) == 3 and body["need"] == "研发费用补助"
    assert body["matches"][0]["doc_id"] == "policy-rd-expense-subsidy-2025"
    assert len(body["not_eligible"]) <= 3 and body["total_not_eligible"] >= len(body["not_eligible"])


def test_match_expired_policy_is_not_a_match(api):
    profile = {"region": "示例市", "entity_type": "企业法人", "employees": 50}
    early = api.post("/policies/match", json={"profile": profile, "as_of": "2025-06-01", "k": 100}).json()
    late = api.post("/policies/match", json={"profile": profile, "as_of": "2026-06-01", "k": 100}).json()
    assert EXPIRED_LATER in [m["doc_id"] for m in early["matches"]]
    old = next(m for m in late["not_eligible"] if m["doc_id"] == EXPIRED_LATER)
    assert any("已失效" in r for r in old["reasons"]) and old["validity"]["status"] == "expired"


@pytest.mark.parametrize("body,needle", [
    ({"profile": {"employees": -3}}, "profile.employees"),
    ({"profile": {}}, "states nothing"),
    ({"profile": {"revenue": 100}}, "profile.revenue"),
    ({"profile": {"entity_type": "火星来客"}}, "entity_type"),
    ({"profile": {"founded": "2999-01-01"}}, "future"),
    ({"profile": {"founded": 1200}}, "founded"),
    ({"profile": {"qualifications": "高新技术企业"}}, "qualifications"),
    ({"profile": SOFTWARE, "k": 0}, "k"),
    ({"profile": SOFTWARE, "as_of": "2025-02-30"}, "as_of"),
    ({"profile": SOFTWARE, "need": "字" * 201}, "need"),
    ({"profile": SOFTWARE, "extra": 1}, "extra"),
    ({"need": "补贴"}, "profile"),
])
def test_bad_match_requests_422(api, body, needle):
    r = api.post("/policies/match", json=body)
    assert r.status_code == 422, r.text[:300]
    assert needle in r.json()["detail"]


def test_match_body_limits(api):
    r = api.post("/policies/match", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    big = {"profile": {**SOFTWARE, "region": "示" * 9000}}
    r = api.post("/policies/match", json=big)
    assert r.status_code == 413


def test_vocabulary(api):
    v = api.get("/policies/vocabulary").json()
    assert "企业法人" in v["entity_types"] and "高新技术企业" in v["qualifications"] and "制造业" in v["industries"]


# -- the command line -------------------------------------------------------------------------


def test_cli_search_valid_on_and_match(demo_build, tmp_path, capsys):
    assert main(["search", "小微企业有什么补贴", "--build", str(demo_build), "--kind", "policy", "--k", "30",
                 "--as-of", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "效力：已失效 · 2025-05-20 至 2025-12-31" in out and "现行有效" in out and "{'" not in out
    assert main(["search", "小微企业有什么补贴", "--build", str(demo_build), "--valid-on", "2026-12-01",
                 "--kind", "policy", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits and all(h["validity"]["status"] != "expired" for h in hits)

    prof = tmp_path / "company.json"
    prof.write_text(json.dumps(SOFTWARE, ensure_ascii=False), encoding="utf-8")
    assert main(["match", "--profile", str(prof), "--build", str(demo_build), "--as-of", "2025-06-10",
                 "--need", "研发费用补助", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "示例市企业研发费用补助实施细则" in out and "✓ 符合" in out and "不符合条件" in out
    assert "[policy-rd-expense-subsidy-2025 " in out and "{'" not in out
    assert main(["match", "--profile", str(prof), "--build", str(demo_build), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"]


def test_cli_match_bad_profile(demo_build, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"employees": "many"}', encoding="utf-8")
    assert main(["match", "--profile", str(bad), "--build", str(demo_build)]) == 1
    assert "employees" in capsys.readouterr().err
    bad.write_text("[1, 2", encoding="utf-8")
    assert main(["match", "--profile", str(bad), "--build", str(demo_build)]) == 1
    assert "not JSON" in capsys.readouterr().err
    assert main(["match", "--profile", str(tmp_path / "none.json"), "--build", str(demo_build)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_cli_eval_recognises_match_cases_and_validity_labels(demo_build, tmp_path, capsys):
    assert main(["eval", "--queries", str(ROOT / "eval" / "sets" / "policy-match-demo.jsonl"), "--build",
                 str(demo_build), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["kind"] == "match" and r["n"] >= 10 and r["precision"] >= 0.9 and r["recall"] >= 0.9
    labels = tmp_path / "validity.jsonl"
    labels.write_text("\n".join(json.dumps(x) for x in [
        {"doc_id": "policy-rd-expense-subsidy-2025", "as_of": "2026-12-01", "status": "in_force",
         "effective_until": "2028-02-29"},
        {"doc_id": EXPIRED_LATER, "as_of": "2026-12-01", "status": "expired", "effective_until": "2025-12-31"},
        {"doc_id": "policy-talent-housing-2025", "as_of": "2026-12-01", "status": "unknown", "effective_until": None},
        {"doc_id": "policy-listing-award-2025", "as_of": "2026-12-01", "status": "in_force", "effective_until": None},
    ]) + "\n{broken\n", encoding="utf-8")
    assert main(["eval", "--queries", str(labels), "--build", str(demo_build)]) == 0
    out = capsys.readouterr().out
    assert "stating their validity  0.6667  (2/3)" in out and "stating none (unknown)  1.0000  (1/1)" in out
    assert "✗ policy-listing-award-2025" in out and "skipped" in out and "not JSON" in out
    assert main(["eval", "--queries", str(labels), "--build", str(demo_build), "--split", "val", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["split"] == "val" and r["lines"] < 4
