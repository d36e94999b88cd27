"""Beijing official answers: ``qa/beijing/answers.jsonl`` (``id``, ``unit``, ``answer``, ``sheet``).

There is no question text, so the title is the answer's first sentence (or clause),
at most 40 characters, without a leading list number.
"""
from __future__ import annotations

import re
from pathlib import Path

from core.records import Document
from ingest.adapters import Problem, SourceResult, iter_jsonl, record_guard, text_value
from ingest.clean import clean_line

SOURCE = "beijing_qa"
PATH = Path("qa/beijing/answers.jsonl")
TITLE_MAX = 40

_ENUM = re.compile(r"^\s*(?:[（(]?[0-9一二三四五六七八九十]{1,3}[)）、.．]|[①-⑳])\s*")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_CLAUSE = re.compile(r"[^，,：:。！？!?；;\n]+")


def title_from_answer(answer: str, limit: int = TITLE_MAX) -> str:
    """First sentence if it fits in ``limit`` characters, else its first clause, cut to ``limit``."""
    text = _ENUM.sub("", clean_line(answer), count=1).strip()
    m = _SENTENCE.match(text)
    first = (m.group(0) if m else text).strip().rstrip("。；;")
    if len(first) <= limit:
        return first or text[:limit]
    m = _CLAUSE.match(first)
    clause = (m.group(0) if m else first).strip()
    return clause[:limit]


def load(root: Path) -> SourceResult:
    result = SourceResult()
    for where, obj in iter_jsonl(root / PATH, root, result):
        with record_guard(result, where):
            doc_id = text_value(obj, "id")
            answer = text_value(obj, "answer")
            if not doc_id:
                result.problems.append(Problem(where, "record has no id; skipped"))
                continue
            if not answer:
                result.problems.append(Problem(where, f"{doc_id}: record has no answer text; skipped"))
                continue
            unit = text_value(obj, "unit")
            fields = {"sheet": text_value(obj, "sheet")} if text_value(obj, "sheet") else {}
            result.documents.append(Document(
                doc_id=doc_id, source=SOURCE, kind="qa", title=title_from_answer(answer) or doc_id,
                text=answer, department=unit, fields=fields,
            ))
    return result
