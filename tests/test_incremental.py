"""Keeping the corpus fresh: crawl → ingest → index, then change / add / delete pages and do it
again. Asserts that only new and changed documents are chunked again (unchanged ones keep their
chunks byte for byte), that removed pages leave the build, the index and the search results, that
the index encodes exactly the new passage texts, and that the corpus version advances.

The site is written by the test into ``tmp_path`` (invented pages) and served by a real HTTP
server on 127.0.0.1; the encoder is a tiny sentence-transformers model built offline.
"""
from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from govsearch.cli import main
from core.errors import DocumentNotFound
from core.records import Chunk
from index import build_index, dense_worthy, open_index, passage_text
from index import store
from ingest import run_ingest
from ingest.crawl import run_crawl
from ingest.crawl.store import page_id, write_manifest, write_page
from ingest.snapshot import PageRecord, load_snapshot

pytestmark = pytest.mark.timeout(120)
FAST = dict(rate=200.0, concurrency=4, timeout=2.0, backoff=0.05, progress=False, trust_env=False)
JSONL_ROOT = Path(__file__).resolve().parent / "data" / "jsonl"


# --------------------------------------------------------------------------- invented pages

def guide_page(title: str, sections: dict[str, str], dept: str = "示例市行政审批局") -> str:
    blocks = "\n".join(
        f'<div class="block"><h2>{head}</h2><div class="txt"><p>{body}</p></div></div>'
        for head, body in sections.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_示例市政务服务网</title>
<meta name="ArticleTitle" content="{title}"><meta name="ContentSource" content="{dept}"></head>
<body><div class="nav"><a href="/">首页</a> <a href="/grbs/">个人办事</a></div>
<div class="main"><h1>{title}</h1>
<table class="info-grid"><tr><th>实施主体</th><td>{dept}</td><th>服务对象</th><td>自然人</td></tr></table>
{blocks}
</div><div class="footer">主办单位：示例市政务服务数据管理局（内容虚构）</div></body></html>
"""


def policy_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2025-01-15"></head>
<body><div class="nav"><a href="/">首页</a></div><div class="article"><h1>{title}</h1>{body}</div>
<div class="footer">主办单位：示例市人民政府办公室（内容虚构）</div></body></html>
"""


def item(title: str, material: str, condition: str, faq: str) -> str:
    return guide_page(title, {
        "一、申请条件": condition,
        "二、申请材料": f"1. {material}（原件1份）；2. 申请人身份证明（复印件1份）。",
        "三、办理流程": "网上申请，窗口核验，领取结果。",
        "四、办理时限": "承诺办结时限：5个工作日。",
        "五、办理地点": "示例市政务服务中心一楼综合窗口",
        "六、咨询电话": "0000-5550100",
        "七、常见问题": faq,
    })


PAGES = {
    "/guide/item-bakery.html": item("烘焙作坊登记", "烘焙作坊登记申请表", "作坊位于示例市，面积不超过三十平方米。",
                                    "问：可以网上办理吗？答：可以，在政务服务网提交。"),
    "/guide/item-fishing.html": item("垂钓场所备案", "垂钓场所平面图", "场所远离饮用水源保护区。",
                                     "问：夜间可以垂钓吗？答：须在备案的营业时间内。"),
    "/guide/item-camel.html": item("骆驼养殖场备案", "骆驼养殖防疫方案", "养殖场距居民区五百米以上。",
                                   "问：骆驼养殖需要防疫证明吗？答：需要。"),
    "/policy/notice-garden.html": policy_page("关于屋顶花园建设补贴的通知", [
        "为鼓励屋顶花园建设，对符合条件的居民楼给予一次性补贴。",
        "一、补贴对象：本市行政区域内既有居民楼的业主委员会。",
        "二、补贴标准：每平方米补贴一百元，单栋楼最高五万元。",
    ]),
}
NEW_PAGE = ("/guide/item-balloon.html", item("热气球飞行活动报备", "热气球适航证明", "活动场地开阔，风力不超过三级。",
                                             "问：热气球飞行活动需要提前几天报备？答：提前七日。"))
CHANGED_PAGE = "/guide/item-fishing.html"
CHANGED_HTML = item("垂钓场所备案", "垂钓场所平面图", "场所远离饮用水源保护区。",
                    "问：可以使用无人机航拍垂钓场所吗？答：须另行报备空域。")
GONE_PAGE = "/guide/item-camel.html"


class Site:
    """A folder served over HTTP with ETags (content hash), 304 on If-None-Match, 404 when a file is gone."""

    def __init__(self, root: Path):
        self.root = root
        self.base = ""

    def write(self, path: str, html: str) -> None:
        f = self.root / path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(html, encoding="utf-8")

    def url(self, path: str) -> str:
        return self.base + path


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?")[0]
            file = site.root / path.lstrip("/")
            if ".." in path or not file.is_file():
                return self._send(404, b"not found", {"Content-Type": "text/plain"})
            body = file.read_bytes()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            ctype = "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"
            return self._send(200, body, {"Content-Type": ctype, "ETag": etag})

    return Handler


@pytest.fixture
def site(tmp_path, loopback_site):
    state = Site(tmp_path / "site")
    state.write("/robots.txt", "User-agent: *\nDisallow: /private/\n")
    for path, html in PAGES.items():
        state.write(path, html)
    with loopback_site(_handler(state)) as base:
        state.base = base
        yield state


# --------------------------------------------------------------------------- helpers

def lines_by_doc(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        out.setdefault(json.loads(line)["doc_id"], []).append(line)
    return out


def dense_texts(build: Path) -> set[str]:
    _, chunks = store.read_build(build)
    return {passage_text(c) for c in chunks if dense_worthy(c)}


def crawl(site: Site, paths: list[str], snap: Path, tmp_path: Path) -> dict:
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(site.url(p) for p in paths) + "\n", encoding="utf-8")
    return run_crawl(urls_file=urls, out=snap, **FAST)


# --------------------------------------------------------------------------- end to end

def test_crawl_ingest_index_then_incremental_update(site, tmp_path, capsys, st_model_factory):
    snap, build, cache = tmp_path / "snap", tmp_path / "build", tmp_path / "cache"
    paths = list(PAGES)
    crawl(site, paths, snap, tmp_path)
    ids = {p: page_id(site.url(p)) for p in [*paths, NEW_PAGE[0]]}

    report1 = run_ingest(None, build, snapshot=snap)
    assert report1["sources"]["snapshot"]["documents"] == 4 and not report1["sources"]["snapshot"]["problems"]
    assert report1["corpus_version"]["number"] == 1
    assert report1["changes"]["previous"] is False and report1["changes"]["counts"]["added"] == 4
    old_chunks = lines_by_doc(build / "chunks.jsonl")
    assert set(old_chunks) == {ids[p] for p in paths}
    old_dense = dense_texts(build)

    vocab = [html for html in [*PAGES.values(), NEW_PAGE[1], CHANGED_HTML]]
    encoder = "st:" + str(st_model_factory(tmp_path / "tiny", vocab, dim=64))
    m1 = build_index(build, encoder=encoder, cache_dir=cache, progress=False)
    assert m1["encoded"] == len(old_dense) and m1["cached"] == 0  # a fresh cache: every text encoded once
    assert m1["corpus_version"] == report1["corpus_version"]
    idx = open_index(build)
    assert idx.search("骆驼养殖防疫", k=3, mode="bm25")[0].doc_id == ids[GONE_PAGE]

    # the site changes: one page edited, one added, one deleted (404 → gone); crawl again
    site.write(CHANGED_PAGE, CHANGED_HTML)
    site.write(*NEW_PAGE)
    (site.root / GONE_PAGE.lstrip("/")).unlink()
    summary = crawl(site, [*paths, NEW_PAGE[0]], snap, tmp_path)
    states = {r.id: r.state for r in load_snapshot(snap, include_gone=True)}
    assert states == {ids["/guide/item-bakery.html"]: "unchanged", ids["/policy/notice-garden.html"]: "unchanged",
                      ids[CHANGED_PAGE]: "changed", ids[NEW_PAGE[0]]: "new", ids[GONE_PAGE]: "gone"}, summary

    # re-ingest through the CLI: it prints the change summary
    assert main(["ingest", "--snapshot", str(snap), "--out", str(build)]) == 0
    out = capsys.readouterr().out
    assert "1 added, 1 changed, 1 removed, 2 unchanged; 2 documents chunked → corpus version 2" in out
    report2 = json.loads((build / "report.json").read_text(encoding="utf-8"))
    ch = report2["changes"]
    assert (ch["added"], ch["changed"], ch["removed"], ch["unchanged"]) == (
        [ids[NEW_PAGE[0]]], [ids[CHANGED_PAGE]], [ids[GONE_PAGE]], 2)
    assert ch["counts"] == {"added": 1, "changed": 1, "removed": 1} and report2["rechunked"] == 2
    assert report2["corpus_version"]["number"] == 2
    assert report2["corpus_version"]["corpus_hash"] == store.corpus_hash(build)

    # chunks.jsonl: unchanged documents' lines are byte-identical, only the changed and added differ
    new_chunks = lines_by_doc(build / "chunks.jsonl")
    assert set(new_chunks) == {ids[p] for p in paths if p != GONE_PAGE} | {ids[NEW_PAGE[0]]}
    for p in ("/guide/item-bakery.html", "/policy/notice-garden.html"):
        assert new_chunks[ids[p]] == old_chunks[ids[p]]
    assert new_chunks[ids[CHANGED_PAGE]] != old_chunks[ids[CHANGED_PAGE]]
    changed_lines = set(new_chunks[ids[CHANGED_PAGE]]) - set(old_chunks[ids[CHANGED_PAGE]])
    assert changed_lines and all("无人机航拍" in json.loads(x)["text"] for x in changed_lines)
    docs = lines_by_doc(build / "docs.jsonl")
    assert ids[GONE_PAGE] not in docs and len(docs) == 4

    # the index encodes exactly the passage texts it has not seen before
    new_dense = dense_texts(build)
    m2 = build_index(build, encoder=encoder, cache_dir=cache, progress=False)
    assert m2["encoded"] == len(new_dense - old_dense) > 0
    assert m2["cached"] == sum(1 for c in store.read_build(build)[1] if dense_worthy(c)) - m2["encoded"] > 0
    assert m2["corpus_version"]["number"] == 2 and m2["documents"] == 4

    idx = open_index(build)
    with pytest.raises(DocumentNotFound):
        idx.doc(ids[GONE_PAGE])
    for mode in ("bm25", "dense", "hybrid"):
        hits = idx.search("骆驼养殖场备案 骆驼养殖防疫方案", k=10, mode=mode)
        assert ids[GONE_PAGE] not in {h.doc_id for h in hits}
        assert ids[GONE_PAGE] not in {h.doc_id for h in idx.search_chunks("骆驼养殖", k=50, mode=mode)}
    assert idx.search("热气球飞行活动报备", k=3, mode="bm25")[0].doc_id == ids[NEW_PAGE[0]]
    assert idx.search("无人机航拍", k=3, mode="bm25")[0].doc_id == ids[CHANGED_PAGE]

    # nothing changed since: same version, nothing chunked, the index is reused as it is
    report3 = run_ingest(None, build, snapshot=snap)
    assert report3["corpus_version"] == report2["corpus_version"] and report3["rechunked"] == 0
    assert report3["changes"]["counts"] == {"added": 0, "changed": 0, "removed": 0}
    m3 = build_index(build, encoder=encoder, cache_dir=cache, progress=False)
    assert m3.get("reused") and m3["corpus_version"]["number"] == 2


# --------------------------------------------------------------------------- reuse rules (no server)

def write_snapshot(root: Path, pages: dict[str, str], gone: tuple[str, ...] = ()) -> dict[str, str]:
    """Write the snapshot format directly; returns {url path: page id}."""
    recs, ids = [], {}
    for path, html in pages.items():
        url = "https://zwfw.example.gov.cn" + path
        pid = ids[path] = page_id(url)
        recs.append(PageRecord(id=pid, url=url, final_url=url, status=200, state="new",
                               file=write_page(root, pid, html), content_type="text/html"))
    for path in gone:
        url = "https://zwfw.example.gov.cn" + path
        ids[path] = page_id(url)
        recs.append(PageRecord(id=ids[path], url=url, status=404, state="gone", error="HTTP 404"))
    write_manifest(root, recs)
    return ids


def test_unchanged_documents_keep_their_previous_chunks(tmp_path):
    snap, build = tmp_path / "snap", tmp_path / "build"
    ids = write_snapshot(snap, PAGES, gone=(NEW_PAGE[0],))
    report = run_ingest(None, build, snapshot=snap)
    assert report["documents"] == 4  # the gone page is no document
    assert ids[NEW_PAGE[0]] not in lines_by_doc(build / "docs.jsonl")

    # hand-edit one unchanged document's chunk (a valid record still) and seal the pair as ingest would:
    # the next ingest keeps it, which shows the chunks were read back from chunks.jsonl, not computed again
    bakery = ids["/guide/item-bakery.html"]
    lines = (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    i = next(n for n, x in enumerate(lines) if json.loads(x)["doc_id"] == bakery)
    marked = Chunk.model_validate_json(lines[i]).model_copy(update={"section": "人工标记"}).model_dump_json()
    lines[i] = marked
    (build / "chunks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sealed = store.seal(build, number=1)
    report = run_ingest(None, build, snapshot=snap)
    assert report["rechunked"] == 0 and marked in (build / "chunks.jsonl").read_text(encoding="utf-8")
    assert report["corpus_version"] == {"number": 1, "corpus_hash": sealed}  # the same files: the same version

    # the same edit without the seal (what an interrupted ingest leaves): nothing of the previous build is
    # trusted, everything is chunked again, and the corpus gets a new version
    lines[i] = Chunk.model_validate_json(marked).model_copy(update={"section": "再次标记"}).model_dump_json()
    (build / "chunks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_ingest(None, build, snapshot=snap)
    assert report["rechunked"] == 4 and "interrupted" in report["changes"]["note"]
    assert "再次标记" not in (build / "chunks.jsonl").read_text(encoding="utf-8")
    assert report["corpus_version"]["number"] == 2

    # --full chunks everything again: the same files as the run before, so the same version
    assert main(["ingest", "--snapshot", str(snap), "--out", str(build), "--full"]) == 0
    report = json.loads((build / "report.json").read_text(encoding="utf-8"))
    assert report["rechunked"] == 4 and marked not in (build / "chunks.jsonl").read_text(encoding="utf-8")
    assert report["corpus_version"]["number"] == 2

    # other chunking settings: everything chunked again, said in the report
    report = run_ingest(None, build, snapshot=snap, max_chars=120)
    assert report["rechunked"] == 4 and "chunking changed" in report["changes"]["note"]
    assert report["changes"]["unchanged"] == 4  # the documents themselves did not change

    # a build from before incremental ingestion (no chunker recorded): chunked again, version 1 → 2
    old = json.loads((build / "report.json").read_text(encoding="utf-8"))
    for key in ("chunker", "corpus_version"):
        old.pop(key)
    (build / "report.json").write_text(json.dumps(old), encoding="utf-8")
    report = run_ingest(None, build, snapshot=snap, max_chars=120)
    assert report["rechunked"] == 4 and "does not record" in report["changes"]["note"]
    assert report["corpus_version"]["number"] == 1  # same files as the unversioned build: its version 1
    assert run_ingest(None, build, snapshot=snap, max_chars=120)["rechunked"] == 0

    # an unreadable previous build is no error: everything counts as added and is chunked
    (build / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
    report = run_ingest(None, build, snapshot=snap, max_chars=120)
    assert report["rechunked"] == 4 and "unreadable" in report["changes"]["note"]
    assert report["changes"]["counts"]["added"] == 4
    assert len(lines_by_doc(build / "chunks.jsonl")) == 4


def test_snapshot_combines_with_data_and_change_lists_are_capped(tmp_path, monkeypatch):
    snap, build = tmp_path / "snap", tmp_path / "build"
    ids = write_snapshot(snap, dict(list(PAGES.items())[:2]))
    report = run_ingest(JSONL_ROOT, build, snapshot=snap)
    assert report["sources"]["snapshot"]["documents"] == 2
    assert report["sources"]["guangdong"]["documents"] > 0 and report["snapshot"] == str(snap)
    docs = lines_by_doc(build / "docs.jsonl")
    assert set(ids.values()) <= set(docs)
    n = len(docs)

    # drop the data folder: its documents are removed; the id lists are capped, the counts are not
    import ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "CHANGE_IDS", 3)
    report = run_ingest(None, build, snapshot=snap)
    ch = report["changes"]
    assert ch["counts"]["removed"] == n - 2 > 3 and len(ch["removed"]) == 3
    assert ch["unchanged"] == 2 and report["documents"] == 2 and report["rechunked"] == 0


def test_missing_snapshot_is_a_reported_problem(tmp_path):
    report = run_ingest(None, tmp_path / "build", snapshot=tmp_path / "no-snapshot")
    assert report["documents"] == 0
    assert "no snapshot" in report["sources"]["snapshot"]["problems"][0]["why"]
