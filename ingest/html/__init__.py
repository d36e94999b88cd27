"""Saved web pages → article text and metadata, with site chrome removed (no network access).

One module per step: :mod:`~ingest.html.decode` (bytes → text), :mod:`~ingest.html.chrome`
(navigation, share bars, related lists, footers), :mod:`~ingest.html.content` (the element
holding the body), :mod:`~ingest.html.tables` (text as lines; tables one line per row),
:mod:`~ingest.html.meta` (title, date, department, 发文字号), :mod:`~ingest.html.page`
(:func:`parse_page`, tying them together under a per-page budget), :mod:`~ingest.html.walk`
(linear traversals and the budget).

Why hand-written rather than a general extractor: on the real saved pages and the demo pages
(``python bench/html_extractors.py`` reproduces it) the body lines kept and the chrome lines
leaked were, per extractor —

=====================  ===========================  =======================  ===============================
set (pages)            this parser                  trafilatura 2.3.1        readability-lxml 0.9
=====================  ===========================  =======================  ===============================
demo pages (116)       1.000 kept, 0 leaked         0.763, 0 (drops tables'  0.282, 0 (keeps one section)
                                                    link lists: 包含事项)
govcn (60)             1.000, 2 leaked on 1 page    0.990, 61 on 60 pages    0.954, 2 on 1 page
                                                    (扫一扫在手机打开当前页)
guangzhou (32 with     0.917, 2 on 1 page           0.892, 3 on 2 pages      0.915, 3 on 2 pages
documents.json text)
=====================  ===========================  =======================  ===============================

("kept": reference body lines with ≥ 4 Chinese characters found in the output — the content
element for demo/govcn pages, ``documents.json``'s ``original_text`` for Guangzhou, where most
misses are titles the parser keeps as the title rather than as body; "leaked": output lines with
copyright/ICP/share/related/breadcrumb markers or navigation link texts.) The parser is kept:
it keeps more body and leaks less, and it also yields the metadata and the tables' rows the
guide parser needs; neither library is a dependency.
"""
from __future__ import annotations

from ingest.html.chrome import is_chrome_line, nav_link_texts, remove_chrome
from ingest.html.content import find_content_root
from ingest.html.decode import BinaryPage, EmptyPage, PageError, check_not_binary, decode_html
from ingest.html.meta import DOC_NO, clean_source, clean_title, find_doc_number, iso_date, label_values
from ingest.html.page import (MAX_ELEMENTS, MAX_PAGE_BYTES, PAGE_SECONDS, ParsedPage, check_size, parse_page,
                              strip_leading_title)
from ingest.html.tables import element_blocks, table_rows
from ingest.html.walk import PageTooExpensive, cjk_count

__all__ = ["ParsedPage", "PageError", "EmptyPage", "BinaryPage", "PageTooExpensive", "parse_page", "decode_html",
           "iso_date", "find_doc_number", "element_blocks", "table_rows", "label_values", "nav_link_texts",
           "clean_title", "clean_source", "strip_leading_title", "is_chrome_line", "cjk_count", "DOC_NO",
           "remove_chrome", "find_content_root", "check_not_binary", "check_size", "MAX_PAGE_BYTES",
           "MAX_ELEMENTS", "PAGE_SECONDS"]
