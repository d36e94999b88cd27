"""One's own documents through the real ingestion (`run_ingest(paths=…)`, `govsearch ingest PATH`):
a folder of files the tests write — Chinese PDFs printed by headless Chromium (a guide with a
ruled 申请材料 table, a policy with its 文号), DOCX guide and policy, a scanned PDF, a saved web
page with site chrome, text, Markdown, generic-schema JSONL and CSV, a ZIP, a broken PDF, an old
.doc, a hidden file and a symbolic-link loop. Every file is accounted for; table rows, titles and
文号 come out right; every chunk cites a span of its document's text."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import owndocs_factory as F
from ingest import run_ingest

ROOT = Path(__file__).resolve().parent.parent


def _read(out: Path):
    docs = {d["doc_id"]: d for d in map(json.loads, (out / "docs.jsonl").read_text("utf-8").splitlines())}
    chunks = [json.loads(x) for x in (out / "chunks.jsonl").read_text("utf-8").splitlines()]
    report = json.loads((out / "report.json").read_text("utf-8"))
    return docs, chunks, report


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    if not F.have_chromium():
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {F.CHROMIUM}: `make system-deps` installs it")
        pytest.skip("chromium not found (apt-get install chromium); not in CI, so skipped")
    root = tmp_path_factory.mktemp("own")
    with F.chromium() as browser:
        docs = F.build_folder(root, browser)
        F.print_pdf(browser, F.guide_html(extra_rows=40), root / "长表格指南.pdf")
    return docs


@pytest.fixture(scope="module")
def built(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "mine"
    report = run_ingest(paths=[folder], out_dir=out)
    docs, chunks, written = _read(out)
    assert written == json.loads(json.dumps(report, ensure_ascii=False))
    return docs, chunks, report, out


ID = "mydocs/"


def test_every_file_is_accounted_for(folder, built):
    _, _, report, _ = built
    by_path = {f["path"]: f for f in report["files"]}
    on_disk = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            on_disk.add(os.path.join(dirpath, name))
    assert on_disk <= set(by_path), on_disk - set(by_path)
    status = {Path(p).relative_to(folder).as_posix() if not "!/" in p else p.split("!/")[-1]: f["status"]
              for p, f in by_path.items()}
    assert status == {
        "指南/食品经营许可.pdf": "ingested", "指南/托育机构备案.docx": "ingested", "指南/居住证签注.md": "ingested",
        "政策/贴息办法.pdf": "ingested", "政策/创业补贴办法.docx": "ingested",
        "政策/招生细则扫描件.pdf": status["政策/招生细则扫描件.pdf"],  # ingested with OCR, else skipped
        "其他/培训补贴通知.html": "ingested", "其他/办公时间公告.txt": "ingested", "其他/问答.jsonl": "ingested",
        "其他/公积金.csv": "ingested", "其他/打包.zip": "archive", "附件/办公时间公告副本.txt": "ingested",
        "附件/说明.xlsx": "unsupported", "其他/传输中断.pdf": "skipped", "其他/旧格式.doc": "unsupported",
        ".DS_Store": "skipped", "其他/上一级": "skipped",
    }
    why = {Path(p).name: f["why"] for p, f in by_path.items()}
    assert "not a readable PDF" in why["传输中断.pdf"]
    assert "save it as .docx or PDF" in why["旧格式.doc"]
    assert "symbolic link loop" in why["上一级"]
    assert "hidden" in why[".DS_Store"]
    # the counts add up: every record is a document, a skipped record or a duplicate
    src = report["sources"]["files"]
    assert src["records"] == src["documents"] + src["skipped"] + src["duplicates"]
    assert sum(f["documents"] for f in report["files"]) == src["documents"] == report["documents"]


def test_ids_derive_from_relative_paths_and_do_not_depend_on_the_working_folder(folder, built, tmp_path):
    docs, _, _, _ = built
    assert {ID + "指南/食品经营许可.pdf", ID + "政策/创业补贴办法.docx", ID + "其他/打包.zip/附件/办公时间公告副本.txt",
            "faq-001", ID + "其他/问答.jsonl:2", "csv-1"} <= set(docs)
    cwd = os.getcwd()
    try:
        os.chdir(folder.parent)
        report = run_ingest(paths=["mydocs/其他/办公时间公告.txt", "./mydocs/指南"], out_dir=tmp_path / "rel")
    finally:
        os.chdir(cwd)
    ids = {f["id"] for f in report["files"]}
    assert {"办公时间公告.txt", "指南/食品经营许可.pdf", "指南/托育机构备案.docx"} <= ids


def test_pdf_guide_materials_table_becomes_fields_and_a_materials_section(built):
    docs, chunks, _, _ = built
    d = docs[ID + "指南/食品经营许可.pdf"]
    assert d["kind"] == "service_item"
    assert d["title"] == F.GUIDE_TITLE
    assert d["department"] == "示例市市场监督管理局"
    mats = d["fields"]["materials"]
    assert [m["name"] for m in mats] == [m[0] for m in F.MATERIALS]  # wrapped cells joined, 、 kept
    assert {k: v for k, v in mats[0].items() if k not in ("start", "end")} == {
        "name": "食品经营许可申请书", "copies": "1", "original_or_copy": "原件", "required": True,
        "condition": "申请人签字并盖章"}
    assert d["text"][mats[0]["start"]:mats[0]["end"]] == "食品经营许可申请书"  # its span, recorded by ingest
    assert mats[4]["required"] is False and mats[4]["original_or_copy"] == "原件和复印件"
    assert mats[1].get("condition") is None  # 无
    assert d["fields"]["time_limit_legal"] == "20个工作日" and d["fields"]["time_limit_promised"] == "5个工作日"
    assert d["fields"]["phone"] == "0000-12345678"
    sections = {c["section"] for c in chunks if c["doc_id"] == d["doc_id"]}
    assert {"申请材料", "受理条件", "办理时限"} <= sections
    mat_text = "".join(c["text"] for c in chunks if c["doc_id"] == d["doc_id"] and c["section"] == "申请材料")
    assert all(m[0] in mat_text for m in F.MATERIALS)


def test_a_table_over_two_pdf_pages_keeps_every_row(folder, tmp_path):
    report = run_ingest(paths=[folder.parent / "长表格指南.pdf"], out_dir=tmp_path / "long")
    docs, _, _ = _read(tmp_path / "long")
    mats = docs["长表格指南.pdf"]["fields"]["materials"]
    assert [m["name"] for m in mats] == [m[0] for m in F.MATERIALS] + [f"补充证明材料第{i}项" for i in range(1, 41)]
    assert docs["长表格指南.pdf"]["fields"]["pages"] >= 2
    assert report["documents"] == 1


def test_pdf_policy_title_number_date_issuer(built):
    docs, _, _, _ = built
    d = docs[ID + "政策/贴息办法.pdf"]
    assert (d["kind"], d["title"], d["doc_number"]) == ("policy", F.POLICY_TITLE, F.POLICY_NUMBER)
    assert d["date"] == "2024-02-20" and d["department"] == "示例市人民政府办公厅"
    assert d["text"].startswith("各区人民政府，市政府各部门：")  # red header, 文号 and title are not body
    for a in F.ARTICLES:
        assert a in d["text"]


def test_docx_guide_and_policy(built):
    docs, chunks, _, _ = built
    g = docs[ID + "指南/托育机构备案.docx"]
    assert (g["kind"], g["title"], g["department"]) == ("service_item", "示例区托育机构备案办事指南", "示例区卫生健康局")
    assert [(m["name"], m["original_or_copy"], m["required"]) for m in g["fields"]["materials"]] == [
        ("托育机构备案书", "原件", True), ("营业执照副本", "复印件", True),
        ("场地平面图及消防验收材料", "复印件", True), ("从业人员健康证明", "复印件", False)]
    assert g["fields"]["time_limit_promised"] == "3个工作日"
    assert "【申请材料】" in g["text"]
    p = docs[ID + "政策/创业补贴办法.docx"]
    assert (p["kind"], p["title"], p["doc_number"], p["date"]) == (
        "policy", "示例市一次性创业补贴实施办法", "示人社规〔2025〕3号", "2025-06-15")
    assert "第二条 首次创办小微企业的高校毕业生可申请一次性创业补贴。" in p["text"]


def test_web_page_text_and_markdown(built):
    docs, _, _, _ = built
    page = docs[ID + "其他/培训补贴通知.html"]
    assert page["title"] == "示例区关于开展2025年度家政服务培训补贴申报的通知"
    assert (page["kind"], page["date"], page["department"]) == ("policy", "2025-03-12", "示例区人力资源和社会保障局")
    for chrome in ("政务公开", "当前位置", "相关推荐", "家政服务网点一览", "版权所有", "主办单位", "不应出现的脚本文字"):
        assert chrome not in page["text"]
    assert "二、补贴标准为每人每期培训八百元。" in page["text"]
    txt = docs[ID + "其他/办公时间公告.txt"]
    assert txt["title"] == "示例街道关于调整便民服务中心办公时间的公告"
    assert "周六上午提供社保、医保业务预约办理。" in txt["text"]
    md = docs[ID + "指南/居住证签注.md"]
    assert md["kind"] == "service_item" and md["title"] == "示例区居住证签注办事指南"
    assert [(m["name"], m["copies"]) for m in md["fields"]["materials"]] == [("居住证原件", "1"), ("近期一寸照片", "2")]


def test_generic_schema_records(built):
    docs, _, report, _ = built
    qa = docs["faq-001"]
    assert (qa["kind"], qa["title"], qa["department"], qa["date"]) == ("qa", "社保卡丢了怎么补办", "示例市人社局", "2025-03-05")
    item = docs[ID + "其他/问答.jsonl:2"]
    assert item["kind"] == "service_item" and [m["name"] for m in item["fields"]["materials"]] == ["身份证", "近期一寸照片"]
    assert "【申请材料】" in item["text"] and "老年人优待证可在街道便民服务中心申领。" in item["text"]
    csv1 = docs["csv-1"]
    assert (csv1["region"], csv1["fields"]["extra_note"]) == ("示例市", "办事大厅")
    problems = {p["where"].rsplit("/", 1)[-1]: p["why"] for p in report["sources"]["files"]["problems"]}
    assert "leaflet" in problems["问答.jsonl:3"]
    assert "no text" in problems["公积金.csv:3"]


def test_every_chunk_cites_a_span_of_its_document(built):
    docs, chunks, _, _ = built
    assert chunks
    for c in chunks:
        assert docs[c["doc_id"]]["text"][c["start"]:c["end"]] == c["text"]
    assert {c["doc_id"] for c in chunks} == set(docs)


def test_reingest_is_incremental(folder, built, tmp_path):
    import shutil

    copy = tmp_path / "mydocs"
    shutil.copytree(folder, copy, symlinks=True)
    (copy / "政策" / "招生细则扫描件.pdf").unlink()  # OCR is slow on a busy CPU; reuse is checked on the PDFs
    out = tmp_path / "b"
    first = run_ingest(paths=[copy], out_dir=out)
    again = run_ingest(paths=[copy], out_dir=out)
    assert again["changes"]["counts"] == {"added": 0, "changed": 0, "removed": 0}
    assert again["rechunked"] == 0 and again["corpus_version"] == first["corpus_version"]
    # the unchanged PDFs and DOCX files were not read again: their previous documents were reused
    assert (first["sources"]["files"]["reused"], again["sources"]["files"]["reused"]) == (0, 4)
    (copy / "其他" / "办公时间公告.txt").write_text(F.notice_text() + "节假日另行通知。\n", "utf-8")
    (copy / "政策" / "贴息办法.pdf").unlink()
    third = run_ingest(paths=[copy], out_dir=out)
    assert third["changes"]["changed"] == [ID + "其他/办公时间公告.txt"]
    assert third["changes"]["removed"] == [ID + "政策/贴息办法.pdf"]
    assert third["rechunked"] == 1


def test_kind_override(folder, tmp_path):
    report = run_ingest(paths=[folder / "指南" / "食品经营许可.pdf"], out_dir=tmp_path / "k", kind="article")
    docs, _, _ = _read(tmp_path / "k")
    assert docs["食品经营许可.pdf"]["kind"] == "article" and report["documents"] == 1


def test_cli_ingest_paths(folder, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "govsearch", "ingest", str(folder / "指南"), str(folder / "其他" / "旧格式.doc"),
                           "--out", str(out)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 3, proc.stderr  # the .doc is reported, so some input was skipped
    assert f"next: govsearch index --build {out}" in proc.stdout
    assert "files: 3 ingested, 1 unsupported" in proc.stdout
    assert "旧格式.doc: unsupported type .doc" in proc.stderr


# --------------------------------------------------------------------------- scanned PDFs

def _ocr_installed() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def test_scanned_pdf_is_read_by_ocr_when_the_extra_is_installed(built):
    if not _ocr_installed():
        pytest.skip("the ocr extra is not installed (pip install 'govsearch[ocr]')")
    docs, _, report, _ = built
    d = docs[ID + "政策/招生细则扫描件.pdf"]
    assert d["title"] == F.SCAN_LINES[0]
    assert d["fields"]["ocr_pages"] == [1]
    for line in F.SCAN_LINES[1:]:
        assert line in d["text"]


def test_scanned_pdf_without_the_ocr_extra_is_reported_not_silently_empty(tmp_path, monkeypatch):
    import ingest.files.ocr as ocr

    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # what `import` meets when it is not installed
    ocr._engine.cache_clear()
    try:
        scan = F.scanned_pdf(tmp_path / "扫描件.pdf", pages=3)
        report = run_ingest(paths=[scan], out_dir=tmp_path / "b")
    finally:
        ocr._engine.cache_clear()
    (entry,) = report["files"]
    assert entry["status"] == "skipped" and report["documents"] == 0
    assert entry["why"] == "scanned pages 1-3 (no text layer) not read: install the ocr extra: pip install 'govsearch[ocr]'"
