"""The demo corpus (示例数据): generator determinism, counts, page layout, bundle members, queries."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PAGES = CORPUS / "pages"


def _load_builder():
    spec = importlib.util.spec_from_file_location("corpus_build_pages", CORPUS / "build_pages.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bp = _load_builder()


@pytest.fixture(scope="module")
def data():
    return bp.load_source()


@pytest.fixture(scope="module")
def soups() -> dict[str, BeautifulSoup]:
    return {p.stem: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in sorted(PAGES.glob("*.html"))}


def _ids(prefix: str) -> list[str]:
    return sorted(p.stem for p in PAGES.glob(f"{prefix}-*.html"))


# --------------------------------------------------------------------------- generator

def test_render_is_deterministic_and_matches_committed_pages():
    pages1, queries1 = bp.build()
    pages2, queries2 = bp.build()
    assert pages1 == pages2 and queries1 == queries2
    assert bp.differences() == [], "run `python corpus/build_pages.py` and commit corpus/pages"
    assert bp.main(["--check"]) == 0


def test_check_detects_an_edited_page(tmp_path):
    pages_dir = tmp_path / "pages"
    queries = tmp_path / "queries.jsonl"
    bp.write(pages_dir, queries)
    assert bp.differences(pages_dir, queries) == []
    victim = sorted(pages_dir.glob("item-*.html"))[0]
    victim.write_text(victim.read_text(encoding="utf-8").replace("申请材料", "申清材料"), encoding="utf-8")
    (pages_dir / "item-stale-page.html").write_text("<html></html>", encoding="utf-8")
    assert bp.differences(pages_dir, queries) == sorted([victim.name, "item-stale-page.html (stale)"])


def _mutated_source(tmp_path: Path, filename_glob: str, mutate) -> Path:
    src = tmp_path / "src"
    shutil.copytree(CORPUS / "src", src)
    path = sorted(src.glob(filename_glob))[0]
    records = json.loads(path.read_text(encoding="utf-8"))
    mutate(records)
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return src


def test_unknown_bundle_member_is_rejected(tmp_path):
    src = _mutated_source(tmp_path, "bundles*.json", lambda rs: rs[0]["members"].append("item-does-not-exist"))
    with pytest.raises(bp.CorpusError, match="item-does-not-exist"):
        bp.load_source(src)


def test_bad_material_row_and_bad_id_are_rejected(tmp_path):
    def bad_required(rs):
        rs[0]["materials"][0][3] = "需要"

    with pytest.raises(bp.CorpusError, match="是否必需"):
        bp.load_source(_mutated_source(tmp_path / "a", "items-*.json", bad_required))

    def bad_id(rs):
        rs[0]["id"] = "item-Food_License"

    with pytest.raises(bp.CorpusError, match="lowercase ASCII"):
        bp.load_source(_mutated_source(tmp_path / "b", "items-*.json", bad_id))


def test_query_with_unknown_id_is_rejected(tmp_path):
    src = _mutated_source(tmp_path, "queries*.json", lambda rs: rs[0]["relevant"].update({"item-nope": 1}))
    with pytest.raises(bp.CorpusError, match="item-nope"):
        bp.load_source(src)


# --------------------------------------------------------------------------- counts and ids

def test_counts():
    assert len(_ids("item")) >= 60
    assert len(_ids("bundle")) >= 11
    assert len(_ids("policy")) >= 20


def test_ids_are_lowercase_ascii_file_stems():
    for p in PAGES.glob("*.html"):
        assert re.fullmatch(r"(item|bundle|policy)-[a-z0-9]+(-[a-z0-9]+)*", p.stem), p.name


def test_every_bundle_member_exists_as_an_item_page(soups):
    items = set(_ids("item"))
    for bid in _ids("bundle"):
        links = soups[bid].select("ul.member-items a[data-item-id]")
        assert len(links) >= 2, bid
        for a in links:
            assert a["data-item-id"] in items, (bid, a["data-item-id"])
            assert a["href"] == a["data-item-id"] + ".html"
            # the link text is the member's title
            assert a.get_text() == soups[a["data-item-id"]].select_one("h1.guide-title").get_text()


def test_bundle_members_share_materials(data):
    """Merging member materials with de-duplication must be meaningful: overlaps exist."""
    items = {r["id"]: r for r in data["items"]}
    overlapping = 0
    for b in data["bundles"]:
        names = [m[0] for mid in b["members"] for m in items[mid]["materials"]]
        if len(names) > len(set(names)):
            overlapping += 1
    assert overlapping >= len(data["bundles"]) * 2 // 3


# --------------------------------------------------------------------------- page layout

REQUIRED_METAS = ("ArticleTitle", "PubDate", "ContentSource", "Region")


def test_every_page_has_metas_and_chrome(soups):
    for doc_id, s in soups.items():
        assert s.title and s.title.get_text().strip(), doc_id
        metas = {m.get("name"): m.get("content") for m in s.find_all("meta") if m.get("name")}
        for name in REQUIRED_METAS:
            assert metas.get(name), (doc_id, name)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", metas["PubDate"]), doc_id
        assert metas["Region"].startswith("示例市"), doc_id
        nav = s.select_one("div.nav")
        assert nav and all(w in nav.get_text() for w in ("首页", "个人办事", "法人办事", "一件事", "政策")), doc_id
        assert "当前位置" in s.select_one("div.breadcrumb").get_text(), doc_id
        assert "分享到：" in s.get_text(), doc_id
        related = s.select_one("div.related")
        assert related and "相关推荐" in related.get_text() and related.select("li a"), doc_id
        footer = s.select_one("div.footer").get_text()
        assert all(w in footer for w in ("主办单位", "版权所有", "ICP备")), doc_id
        assert s.find("script"), doc_id


ALLOWED_HEADINGS = set().union(*bp.SYNONYMS.values()) | {"包含事项", "事项概况", "办理流程"}


def _material_rows(s: BeautifulSoup) -> list[dict[str, str]]:
    table = s.select_one("table.material-table")
    cols = [th.get_text() for th in table.select("thead th")]
    return [dict(zip(cols, (td.get_text() for td in tr.find_all("td")))) for tr in table.select("tbody tr")]


def test_item_pages_follow_the_layout(soups, data):
    extra_headings = {h for r in data["items"] + data["bundles"] for h, _ in r.get("extra") or []}
    conditional = 0
    for doc_id in _ids("item"):
        s = soups[doc_id]
        main = s.select_one("div.guide-main")
        assert main.select_one("h1.guide-title").get_text() == s.find("meta", attrs={"name": "ArticleTitle"})["content"]
        info = {th.get_text() for th in main.select("table.basic-info th")}
        assert {"事项名称", "事项类型", "实施主体", "服务对象", "事项编码", "办件类型"} <= info, doc_id
        headings = [h.get_text() for h in main.select("div.guide-section > h2")]
        assert set(headings) <= ALLOWED_HEADINGS | extra_headings, (doc_id, headings)
        for must in ("materials", "time_limit", "location", "phone", "complaint", "basis"):
            assert set(headings) & bp.SYNONYMS[must], (doc_id, must)
        rows = _material_rows(s)
        assert 3 <= len(rows) <= 12, doc_id
        for row in rows:
            assert row["是否必需"] in bp.REQUIRED_VALUES and row["原件或复印件"] in bp.ORIGINAL_VALUES, (doc_id, row)
            assert row["材料名称"] and row["份数"], (doc_id, row)
        if any(r["适用情形"] != "无" and r["是否必需"] != "必需" for r in rows):
            conditional += 1
        time_text = main.get_text()
        assert "法定办结时限：" in time_text or "承诺办结时限：" in time_text, doc_id
    # most guides list materials needed only in some situations (委托他人办理的 …)
    assert conditional >= 0.85 * len(_ids("item"))


def test_layout_variations_exist(soups):
    """Synonym headings and re-ordered material columns exercise the scraper."""
    heading_variants = set()
    column_orders = set()
    for doc_id in _ids("item") + _ids("bundle"):
        s = soups[doc_id]
        heading_variants |= {h.get_text() for h in s.select("div.guide-section > h2")}
        table = s.select_one("table.material-table")
        if table:
            column_orders.add(tuple(th.get_text() for th in table.select("thead th")))
    assert len(heading_variants - set(bp.HEADINGS.values())) >= 6
    required_values = {td.get_text() for doc_id in _ids("item") for td in soups[doc_id].select("table.material-table td")}
    assert bp.REQUIRED_VALUES <= required_values  # 必需 / 非必需 / 容缺 all occur
    assert len(column_orders) >= 3


def test_policy_pages_follow_the_layout(soups):
    for doc_id in _ids("policy"):
        art = soups[doc_id].select_one("div.article")
        assert art.select_one("h1.article-title").get_text(), doc_id
        meta = art.select_one("div.article-meta").get_text()
        assert re.search(r"发布日期：\d{4}-\d{2}-\d{2}　来源：\S+　文号：\S+〔\d{4}〕\d+号", meta), (doc_id, meta)
        paras = [p.get_text() for p in art.select("div.article-content p")]
        for heading in ("一、", "二、", "三、", "四、", "五、"):
            assert any(p.startswith(heading) for p in paras), (doc_id, heading)
        text = "\n".join(paras)
        assert ("申报" in text or "申请" in text) and "联系" in text and re.search(r"\d+万元", text), doc_id


def test_phone_numbers_are_fictional(soups):
    """Every phone-like number is a 0760-88xxxxxx number or a national hotline: nothing real copied."""
    hotlines = {"12345", "12366", "12333", "12329", "12369", "12319", "12313", "12393", "12328", "12318", "12315"}
    for doc_id, s in soups.items():
        text = s.get_text()
        for num in re.findall(r"0\d{2,3}-\d{7,8}", text):
            assert num.startswith("0760-88"), (doc_id, num)
        for num in re.findall(r"(?<!\d)123\d\d(?!\d)", text):
            assert num in hotlines, (doc_id, num)

# --------------------------------------------------------------------------- queries

@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "queries.jsonl").read_text(encoding="utf-8").splitlines()]


def test_queries_reference_existing_ids(queries):
    ids = {p.stem for p in PAGES.glob("*.html")}
    assert len(queries) >= 40
    assert len({q["qid"] for q in queries}) == len(queries)
    for q in queries:
        assert q["query"].strip()
        assert q["relevant"] and all(d in ids and g in (1, 2) for d, g in q["relevant"].items()), q["qid"]
        if "primary" in q:
            assert q["relevant"][q["primary"]] == 2, q["qid"]


def test_restaurant_query(queries):
    q = next(q for q in queries if q["query"] == "开餐馆需要什么材料")
    assert q["relevant"].get("bundle-open-restaurant") == 2
    assert "item-food-business-license-new" in q["relevant"]
    assert q["kind"] == "materials" and "食品经营许可申请书" in q["expect"]


def test_query_expectations_match_the_pages(queries, soups):
    kinds = {q.get("kind") for q in queries}
    assert {"materials", "time", "phone", "location"} <= kinds
    for q in queries:
        if q.get("kind") not in ("materials", "time", "phone", "location"):
            continue
        s = soups[q["primary"]]
        text = s.select_one("div.guide-main").get_text()
        if q["kind"] == "materials":
            names = {r["材料名称"] for r in _material_rows(s)} if s.select_one("table.material-table") else set()
            for mid in [a["data-item-id"] for a in s.select("ul.member-items a")]:
                names |= {r["材料名称"] for r in _material_rows(soups[mid])}
            assert q["expect"] and set(q["expect"]) <= names, q["qid"]
        elif q["kind"] == "time":
            assert q["expect"] and all(v in text for v in q["expect"].values()), q["qid"]
        else:
            assert q["expect"] in text, q["qid"]
