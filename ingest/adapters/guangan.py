"""Guang'an district catalogue: ``service-items/guangan/catalog.json``.

A JSON array: department → ``items`` (groups, ``main_item``) → ``sub_items`` (``name``,
``link``). Names only, no guide fields: each entry becomes a short ``service_item``
(name, department, group) whose id is the ``itemCode`` query parameter of its link.
Repeated ids are left to the pipeline, which keeps the first and reports the others.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from core.records import Document
from ingest.adapters import Problem, SourceResult, read_text, rel, text_value
from ingest.structure import render_service_item

SOURCE = "guangan"
PATH = Path("service-items/guangan/catalog.json")
REGION = "四川省广安市广安区"
UNGROUPED = {"未分类", "其他", ""}


def item_code(link: str | None) -> str | None:
    if not link:
        return None
    values = parse_qs(urlparse(link.strip()).query).get("itemCode")
    return values[0].strip() if values and values[0].strip() else None


def load(root: Path) -> SourceResult:
    result = SourceResult()
    path = root / PATH
    name = rel(path, root)
    text, why = read_text(path) if path.exists() else (None, "file not found")
    if text is None:
        result.records += 1
        result.problems.append(Problem(name, why or "cannot decode"))
        return result
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        result.records += 1
        result.problems.append(Problem(f"{name}:{e.lineno}", f"malformed JSON ({e.msg}); file skipped"))
        return result
    except RecursionError:
        result.records += 1
        result.problems.append(Problem(name, "JSON nested too deeply; file skipped"))
        return result
    if not isinstance(data, list):
        result.records += 1
        result.problems.append(Problem(name, "expected a JSON array of departments; file skipped"))
        return result
    for d_i, dept in enumerate(data):
        if not isinstance(dept, dict):
            result.records += 1
            result.problems.append(Problem(f"{name}[{d_i}]", "department entry is not an object; skipped"))
            continue
        department = text_value(dept, "department")
        for g_i, group in enumerate(dept.get("items") or []):
            if not isinstance(group, dict):
                result.records += 1
                result.problems.append(Problem(f"{name}[{d_i}].items[{g_i}]", "group is not an object; skipped"))
                continue
            main_item = text_value(group, "main_item")
            for s_i, sub in enumerate(group.get("sub_items") or []):
                result.records += 1
                where = f"{name}[{d_i}].items[{g_i}].sub_items[{s_i}]"
                if not isinstance(sub, dict):
                    result.problems.append(Problem(where, "item is not an object; skipped"))
                    continue
                title = text_value(sub, "name")
                doc_id = item_code(sub.get("link") if isinstance(sub.get("link"), str) else None)
                if not doc_id:
                    result.problems.append(Problem(where, f"no itemCode in link {sub.get('link')!r}; skipped"))
                    continue
                if not title:
                    result.problems.append(Problem(where, f"{doc_id}: item has no name; skipped"))
                    continue
                summary = [f"实施主体：{department}"] if department else []
                if main_item and main_item not in UNGROUPED and main_item != title:
                    summary.append(f"所属事项：{main_item}")
                summary.append(f"所属区域：{REGION}")
                fields = {"summary": "\n".join(summary), "group": main_item}
                fields = {k: v for k, v in fields.items() if v}
                result.documents.append(Document(
                    doc_id=doc_id, source=SOURCE, kind="service_item", title=title,
                    text=render_service_item(title, fields), url=sub["link"].strip(),
                    department=department, region=REGION, fields=fields,
                ))
    return result
