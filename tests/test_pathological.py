"""Pathological inputs finish within a bounded time and are reported, never stall a run
(issue 12, defects 2, 3 and 8). Each case was reproduced against the code before the fix:
8,000 nested <div>s took 91 s to parse (find_content_root called get_text at every level);
one deeply nested JSON line raised RecursionError out of iter_jsonl and lost the whole source;
U+2028 inside a JSON string split the line (str.splitlines) and shifted every later line number."""
from __future__ import annotations

import gc
import json
import time

import pytest

from ingest.html import PageTooExpensive, parse_page

BODY = "<p>这是一段足够长的正文内容，用来测试深层嵌套页面的解析速度。</p>"


def _nested(tag: str, n: int, inner: str = BODY) -> str:
    return f"<html><head><title>深层嵌套</title></head><body>{f'<{tag}>' * n}{inner}{f'</{tag}>' * n}</body></html>"


@pytest.mark.parametrize("tag", ["div", "span", "section"])
def test_nesting_depth_costs_linear_time(tag):
    def cpu(n: int) -> float:
        html, took = _nested(tag, n), float("inf")
        # CPU time, best of three, the cyclic collector paused (a full collection of a deep tree
        # lands on one run at random): the shape must hold on a busy shared machine too
        for _ in range(3):
            gc.collect()
            gc.disable()
            try:
                t = time.process_time()
                page = parse_page(html)
                took = min(took, time.process_time() - t)
            finally:
                gc.enable()
        assert "足够长的正文内容" in page.text
        return took

    small, big = cpu(2000), cpu(8000)
    # 4x the depth: ~4x the work when linear, 16x when quadratic (was 91 s for 8,000 <div>s)
    assert big < 8 * max(small, 0.01), f"{small:.2f} s for 2,000 vs {big:.2f} s for 8,000 nested <{tag}>s"
    assert big < 10, f"{big:.2f} s for 8,000 nested <{tag}>s"  # far inside the per-page budget (20 s)


def test_nested_tables_and_labels_stay_linear():
    # tables in cells 300 deep, with a label/value pair at the bottom: rows, layout cells and
    # labels are each looked at a bounded number of times
    inner = "<table><tr><td>文号：</td><td>示府〔2024〕1号</td></tr></table>" + BODY
    html = _nested("table><tr><td", 300, inner).replace("</table><tr><td>", "</td></tr></table>")
    t = time.process_time()
    page = parse_page(html)
    assert "足够长的正文内容" in page.text
    assert time.process_time() - t < 2.0


def test_doubling_the_depth_does_not_quadruple_the_time():
    def timed(n):
        html = _nested("div", n)
        t = time.process_time()
        parse_page(html)
        return time.process_time() - t
    timed(500)  # warm up
    small, large = min(timed(2000) for _ in range(3)), min(timed(8000) for _ in range(3))
    assert large < 8 * small + 0.1, f"2,000 deep: {small:.3f} s, 8,000 deep: {large:.3f} s (quadratic would be 16x)"


def test_oversized_page_is_refused_before_parsing():
    html = "<html><body>" + "<p>内容</p>" * 1_000_000 + "</body></html>"  # ~ 11 MB
    t = time.perf_counter()
    with pytest.raises(PageTooExpensive, match="MiB"):
        parse_page(html, "big.html")
    assert time.perf_counter() - t < 1.0


def test_page_time_budget_raises_instead_of_running_on():
    html = "<html><body>" + "<div><p>正文内容示例文字</p></div>" * 40000 + "</body></html>"
    with pytest.raises(PageTooExpensive, match="time budget"):
        parse_page(html, "slow.html", seconds=0.01)


# --------------------------------------------------------------------------- JSONL (defects 3 and 8)

def _answers(path, lines: list[bytes]):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")


def _qa(i, answer="办理社会保障卡补卡，请携带本人身份证到就近网点申请。"):
    return json.dumps({"id": f"bjqa-{i}", "unit": "示例局", "answer": answer}, ensure_ascii=False).encode()


def test_pathological_jsonl_lines_are_each_one_problem_and_line_numbers_hold(tmp_path):
    from ingest.adapters import beijing_qa

    root = tmp_path / "data"
    lines = [
        _qa(1),
        b"[" * 100_000 + b"]" * 100_000,                                   # 2: nested too deeply
        _qa(3, "第一句\u2028第二句\u0085第三句\u000c第四句"),                  # 3: line separators inside a string
        b'{"id": "bjqa-4", "answer": "\x00NUL"}',                           # 4: a raw NUL (control character)
        _qa(5).replace("示例局".encode(), "示例局".encode("gbk")),          # 5: a GBK field in a UTF-8 file
        b'{"id": "bjqa-6", "answer": "' + "很长的回答".encode() * 400_000 + b'"}',  # 6: a 6 MB line, still fine
        b'{"id": "bjqa-7", "answer": ' + b"9" * 5000 + b"}",                # 7: an int over Python's digit limit
        _qa(8),
    ]
    _answers(root / beijing_qa.PATH, lines)
    t = time.perf_counter()
    result = beijing_qa.load(root)
    assert time.perf_counter() - t < 10
    ids = [d.doc_id for d in result.documents]
    assert ids == ["bjqa-1", "bjqa-3", "bjqa-6", "bjqa-8"]
    assert result.documents[1].text == "第一句\u2028第二句\u0085第三句\u000c第四句"
    where = {p.where.rsplit(":", 1)[1]: p.why for p in result.problems}
    assert set(where) == {"2", "4", "5", "7"}, result.problems
    assert "nested too deeply" in where["2"]
    assert "UTF-8" in where["5"]
    assert result.records == 8


def test_a_record_that_crashes_its_adapter_is_only_that_records_problem(tmp_path):
    # a "file" that is a number made the govcn adapter raise TypeError (Path / int) and the
    # whole source was lost with one "adapter failed" problem
    from ingest.adapters import govcn

    base = tmp_path / "data" / "policies" / "govcn"
    (base / "pages").mkdir(parents=True)
    page = ("<html><head><meta charset='utf-8'></head><body><div id='UCAP-CONTENT'>"
            "<p>各省、自治区、直辖市人民政府：现就示例工作通知如下。</p></div></body></html>")
    recs = []
    for i in (1, 3):
        (base / f"pages/govcn-{i}.html").write_text(page.replace("示例", f"示例{i}"), "utf-8")
        recs.append({"id": f"govcn-{i}", "file": f"pages/govcn-{i}.html", "title": f"关于示例{i}工作的通知"})
    recs.insert(1, {"id": "govcn-2", "file": 5, "title": "文件名不是字符串"})
    (base / "index.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), "utf-8")
    result = govcn.load(tmp_path / "data")
    assert [d.doc_id for d in result.documents] == ["govcn-1", "govcn-3"]
    assert [p.where for p in result.problems] == ["policies/govcn/index.jsonl:2"]
    assert "record failed (TypeError" in result.problems[0].why


# --------------------------------------------------------------------------- own files (ingest PATH)

def test_pathological_files_in_a_folder_are_each_reported_and_the_run_goes_on(tmp_path):
    from ingest import run_ingest

    d = tmp_path / "bad"
    d.mkdir()
    (d / "ok.txt").write_text("示例通知\n正常的一段正文内容，用来确认其余文件照常读入。\n", "utf-8")
    (d / "deep.json").write_text("[" * 200_000 + "]" * 200_000, "utf-8")
    (d / "huge-line.jsonl").write_bytes(b'{"text": "' + b"x" * (9 * 2**20) + b'"}\n'
                                        + json.dumps({"id": "after-huge", "text": "超长行之后的记录照常读入。"},
                                                     ensure_ascii=False).encode() + b"\n")
    (d / "u2028.jsonl").write_text(json.dumps({"id": "sep", "text": "第一句\u2028第二句\u0085第三句"}, ensure_ascii=False)
                                   + "\n" + '{"id": "broken"\n'
                                   + json.dumps({"id": "third", "text": "第三行"}, ensure_ascii=False) + "\n", "utf-8")
    (d / "nul.txt").write_bytes(b"\x00" * 5000 + "文字".encode())
    (d / "gbk.txt").write_bytes("示例公告\nGBK 编码的正文内容，应当被正确识别和读入。\n".encode("gbk"))
    (d / "big5.csv").write_bytes("id,title,text\nb5,繁體標題,這是一段繁體中文的正文內容。\n".encode("big5"))
    (d / "big-page.html").write_text("<html><body>" + "<p>内容</p>" * 1_000_000 + "</body></html>", "utf-8")
    (d / "deep-page.html").write_text(_nested("div", 8000), "utf-8")
    t = time.perf_counter()
    report = run_ingest(paths=[d], out_dir=tmp_path / "b")
    took = time.perf_counter() - t
    assert took < 60, f"{took:.1f} s"
    files = {f["path"].rsplit("/", 1)[-1]: f for f in report["files"]}
    assert {k: v["status"] for k, v in files.items()} == {
        "ok.txt": "ingested", "deep.json": "skipped", "huge-line.jsonl": "ingested", "u2028.jsonl": "ingested",
        "nul.txt": "skipped", "gbk.txt": "ingested", "big5.csv": "ingested", "big-page.html": "skipped",
        "deep-page.html": "ingested"}
    assert "nested too deeply" in files["deep.json"]["why"]
    assert "over the page budget" in files["big-page.html"]["why"]
    assert "NUL" in files["nul.txt"]["why"]
    problems = {p["where"].rsplit("/", 1)[-1]: p["why"] for p in report["sources"]["files"]["problems"]}
    assert "over the 8 M limit" in problems["huge-line.jsonl:1"]
    assert "malformed JSON" in problems["u2028.jsonl:2"]  # line numbers not shifted by U+2028 / U+0085
    docs = {json.loads(x)["doc_id"]: json.loads(x) for x in (tmp_path / "b" / "docs.jsonl").read_text("utf-8").splitlines()}
    assert {"after-huge", "sep", "third", "b5"} <= set(docs)
    assert "GBK 编码的正文内容" in docs["bad/gbk.txt"]["text"]


def test_the_offline_ingest_path_never_imports_the_crawler(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "a.txt").write_text("示例通知\n正文内容。\n", "utf-8")
    code = ("import sys; from ingest import run_ingest; "
            f"run_ingest(paths=[{str(tmp_path / 'a.txt')!r}], out_dir={str(tmp_path / 'b')!r}); "
            f"run_ingest(None, {str(tmp_path / 'demo')!r}); "
            "import ingest.snapshot; "
            "print(sorted(m for m in sys.modules if m.startswith('ingest.crawl') or m == 'httpx'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
