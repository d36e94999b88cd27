"""State Council policy documents saved from gov.cn (``policies/govcn``).

``index.jsonl`` lists every document (``id``, ``file``, ``url``, ``index_number``,
``title``, ``issuer``, ``doc_number``); ``pages/*.html`` are HTML fragments with layout
tables: a header table (索引号/主题分类/发文机关/成文日期/标题/发文字号/发布日期) and the
document text in ``#UCAP-CONTENT``. The text is the document body only; the header
table feeds the metadata. doc_id = the index ``id``; kind ``policy``; region 全国.
"""
from __future__ import annotations

from pathlib import Path

from core.records import Document
from ingest.adapters import Problem, SourceResult, iter_jsonl, record_guard
from ingest.html import PageError, find_doc_number, iso_date, parse_page, strip_leading_title

SOURCE = "govcn"


def load(root: Path) -> SourceResult:
    base = Path(root) / "policies" / "govcn"
    index = base / "index.jsonl"
    result = SourceResult()
    listed: set[str] = set()
    for where, rec in iter_jsonl(index, Path(root), result):
        with record_guard(result, where):
            doc_id, file = rec.get("id"), rec.get("file")
            if not doc_id or not file:
                result.problems.append(Problem(where, "record without id or file"))
                continue
            page_path = base / file
            listed.add(page_path.name)
            try:
                raw = page_path.read_bytes()
            except OSError as e:
                result.problems.append(Problem(str(page_path), f"page listed at {where} cannot be read: {e.strerror or e}"))
                continue
            try:
                page = parse_page(raw, page_path)
            except PageError as e:
                result.problems.append(Problem(str(page_path), str(e)))
                continue
            labels = page.labels
            title = rec.get("title") or labels.get("标题") or page.title
            if not title:
                result.problems.append(Problem(where, "no title in index or page"))
                continue
            date = iso_date(labels.get("发布日期")) or iso_date(labels.get("成文日期")) or page.date
            doc_number = rec.get("doc_number") or find_doc_number("文号：" + labels.get("发文字号", "")) or page.doc_number
            fields = {k: v for k, v in {
                "index_number": rec.get("index_number") or labels.get("索引号"),
                "subject": labels.get("主题分类"),
                "written_date": iso_date(labels.get("成文日期")),
            }.items() if v}
            result.documents.append(Document(
                doc_id=doc_id, source=SOURCE, kind="policy", title=title,
                text="\n".join(strip_leading_title(page.blocks, title)),
                url=rec.get("url") or page.url, department=rec.get("issuer") or labels.get("发文机关"),
                region="全国", date=date, doc_number=doc_number, fields=fields,
            ))
    pages = base / "pages"
    if pages.is_dir():
        for p in sorted(pages.glob("*.htm*")):
            if p.name not in listed:
                result.records += 1
                result.problems.append(Problem(str(p), "page not listed in index.jsonl; skipped"))
    return result
