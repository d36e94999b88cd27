"""Pathological inputs finish within a bounded time and are reported, never stall a run
(issue 12, defects 2, 3 and 8). Each case was reproduced against the code before the fix:
8,000 nested <div>s took 91 s to parse (find_content_root called get_text at every level);
one deeply nested JSON line raised RecursionError out of iter_jsonl and lost the whole source;
U+2028 inside a JSON string split the line (str.splitlines) and shifted every later line number."""
from __future__ import annotations

import json
import time

import pytest

from ingest.html import PageTooExpensive, parse_page

BODY = "<p>这是一段足够长的正文内容，用来测试深层嵌套页面的解析速度。</p>"


def _nested(tag: str, n: int, inner: str = BODY) -> str:
    return f"<html><head><title>深层嵌套</title></head><body>{f'<{tag}>' * n}{inner}{f'</{tag}>' * n}</body></html>"


@pytest.mark.parametrize("tag", ["div", "span", "section"])
def test_8000_nested_elements_parse_in_well_under_a_second(tag):
    html = _nested(tag, 8000)
    t = time.perf_counter()
    page = parse_page(html)
    took = time.perf_counter() - t
    assert "足够长的正文内容" in page.text
    assert took < 1.0, f"{took:.2f} s for 8,000 nested <{tag}>s"


def test_nested_tables_and_labels_stay_linear():
    # tables in cells 300 deep, with a label/value pair at the bottom: rows, layout cells and
    # labels are each looked at a bounded number of times
    inner = "<table><tr><td>文号：</td><td>示府〔2024〕1号</td></tr></table>" + BODY
    html = _nested("table><tr><td", 300, inner).replace("</table><tr><td>", "</td></tr></table>")
    t = time.perf_counter()
    page = parse_page(html)
    assert "足够长的正文内容" in page.text
    assert time.perf_counter() - t < 2.0


def test_doubling_the_depth_does_not_quadruple_the_time():
    def timed(n):
        html = _nested("div", n)
        t = time.perf_counter()
        parse_page(html)
        return time.perf_counter() - t
    timed(500)  # warm up
    small, large = min(timed(2000) for _ in range(2)), min(timed(8000) for _ in range(2))
    assert large < 8 * small + 0.05, f"2,000 deep: {small:.3f} s, 8,000 deep: {large:.3f} s (quadratic would be 16x)"


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
