"""The ingest stage on the real data beside the checkout (../shared/data): counts, accounting,
cleaning of the real seeds, tiling of every chunk. Takes ~10 s."""
import json
import re
from collections import defaultdict

import pytest

from core.records import Chunk, Document
from ingest import run_ingest
from ingest.chunk import check_tiling
from ingest.clean import to_simplified

pytestmark = pytest.mark.shared

# items of a Guangzhou site's navigation menu / footer (not words of the articles)
GZ_NAV = {"首页", "政务公开", "政务服务", "政民互动", "互动交流", "魅力广州", "政策法规", "政务动态", "业务专题",
          "网站地图", "使用帮助", "关于我们", "政务邮箱", "内容纠错", "隐私声明", "网站建议", "用户登录", "市民网页"}


@pytest.fixture(scope="module")
def build(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("shared_build")
    report = run_ingest(shared_data, out)
    docs = [Document.model_validate_json(x) for x in (out / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    chunks = [Chunk.model_validate_json(x) for x in (out / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["documents"] == report["documents"]
    return report, docs, chunks


def test_every_record_accounted(build):
    report, docs, chunks = build
    for name, s in report["sources"].items():
        assert s["records"] == s["documents"] + s["skipped"] + s["duplicates"], name
    assert report["documents"] == len(docs) and report["chunks"] == len(chunks)
    assert len({d.doc_id for d in docs}) == len(docs)


def test_source_counts(build):
    report, docs, _ = build
    s = report["sources"]
    assert s["guangdong"]["records"] == 2262 and s["guangdong"]["documents"] == 2262
    assert s["guangan"]["records"] == 1135
    assert s["beijing_qa"]["records"] == 2272
    assert s["beijing_qa"]["records"] == s["beijing_qa"]["documents"] + s["beijing_qa"]["duplicates"]
    assert s["govcn"]["records"] == 60
    assert s["guangzhou"]["records"] == 48
    assert s["industry"]["records"] == 221
    assert s["climate"]["records"] == 100
    assert s["seeds"]["records"] == 5 and s["seeds"]["documents"] == 5
    gd = [d for d in docs if d.source == "guangdong"]
    assert sum(1 for d in gd if d.fields.get("materials")) == 809
    assert all("【申请材料】" in d.text for d in gd if d.fields.get("materials"))
    climate = [d for d in docs if d.source == "climate"]
    assert sum(1 for d in climate if d.doc_number) >= 0.9 * len(climate)


def test_chunks_tile_every_document(build):
    _, docs, chunks = build
    by_doc = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    for d in docs:
        assert by_doc[d.doc_id], d.doc_id
        check_tiling(d.text, by_doc[d.doc_id])


def test_real_seeds_cleaned(build):
    _, docs, chunks = build
    seeds = {d.doc_id: d for d in docs if d.source == "seeds"}
    trad = seeds["001_4bdda39dde371a53"]
    assert to_simplified(trad.text) == trad.text
    assert not re.search(r"[\u4e00-\u9fff][(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", trad.text)
    assert "版权声明" not in trad.text
    noisy = [c.text for c in chunks if c.doc_id == "000_94905f578e777880"]
    assert noisy
    for c in noisy:
        assert "猜你喜欢" not in c and "版权所有" not in c and "ICP备" not in c and "©" not in c
    for d in seeds.values():
        assert "相关推荐" not in d.text and "猜你喜欢" not in d.text


def test_no_guangzhou_chunk_holds_the_site_menu(build):
    _, docs, chunks = build
    gz = {d.doc_id for d in docs if d.source == "guangzhou"}
    assert gz
    for c in chunks:
        if c.doc_id in gz:
            menu = {w for w in GZ_NAV if w in c.text}
            assert len(menu) < 3, (c.chunk_id, menu)
