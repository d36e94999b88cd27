"""The web page in headless Chromium (Debian's chromium via playwright): search, the materials
checklist, escaping of document markup, and a screenshot that is not blank."""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from core.settings import Settings

CHROMIUM = os.environ.get("GOVSEARCH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("GOVSEARCH_SCREENSHOTS", "build/screenshots"))


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}: `make system-deps` installs it")
        pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium); not in CI, so skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory, live_server, make_test_build):
    build = make_test_build(tmp_path_factory.mktemp("page_build"))
    with live_server(Settings(build=str(build))) as url:
        yield url


@pytest.fixture()
def page(browser, base):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    pg.goto(base + "/")
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside, f"requests outside the app (CDN?): {outside}"


def colours(png: bytes) -> int:
    """Distinct colours in a PNG, sampled (PIL if available, else matplotlib's reader)."""
    try:
        from PIL import Image

        im = Image.open(io.BytesIO(png)).convert("RGB")
        data = im.resize((200, 150)).tobytes()
        return len({data[i : i + 3] for i in range(0, len(data), 3)})
    except ImportError:
        import matplotlib.image as mpimg

        arr = mpimg.imread(io.BytesIO(png), format="png")[::6, ::6, :3]
        return len({tuple((px * 255).astype(int)) for row in arr for px in row})


def test_search_then_materials_checklist(page, base):
    assert "政务服务智能检索（示例）" in page.inner_text(".site-name")
    page.fill("#q", "食品经营许可 新办")
    page.click("#go")
    page.wait_for_selector("#results .result")
    first = page.locator("#results .result").first
    assert "食品经营许可（新办）" in first.locator("h3").inner_text()
    assert first.locator(".badge.section").count() == 1
    assert first.locator(".snippet mark").count() >= 1  # matched terms highlighted
    href = first.locator("a.cite-link").get_attribute("href")
    assert href == "/docs/item-food-business-license"
    assert "示例市市场监督管理局" in first.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "search.png").write_bytes(page.screenshot(full_page=True))

    page.fill("#q", "开餐馆需要什么材料")
    page.click("#tab-answer")  # switching the view runs the query there
    page.wait_for_selector("#checklist tbody tr")
    card = page.inner_text("#answer-card")
    assert "开办餐馆“一件事”" in card
    rows = page.locator("#checklist tbody tr")
    api = page.request.get(base + "/answer?q=" + "开餐馆需要什么材料").json()
    assert rows.count() == len(api["materials"])
    assert page.locator("#checklist input[type=checkbox]").count() == rows.count()
    assert "来源事项" in page.inner_text("#checklist thead")
    for label in ("办理时限", "办理地点", "咨询电话", "引用原文"):
        assert label in card
    assert page.locator("#print-btn").is_visible()
    page.locator("#checklist input[type=checkbox]").first.check()

    SHOTS.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(full_page=True)
    (SHOTS / "answer.png").write_bytes(png)
    assert len(png) > 20_000
    assert colours(png) >= 8, "the screenshot looks blank"

    # print stylesheet: the header, search box and tabs disappear, the checklist stays
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".search-panel").is_visible()
    assert page.locator("#checklist").is_visible()
    page.emulate_media(media="screen")


def test_off_topic_answer_says_so(page):
    page.click("#tab-answer")
    page.fill("#q", "火星移民签证怎么办")
    page.click("#go")
    page.wait_for_selector("#answer-card .notice")
    assert "没有找到足够匹配的办事事项" in page.inner_text("#answer-card")
    assert page.locator("#checklist").count() == 0


def test_document_markup_is_shown_as_text(page):
    page.fill("#q", "页面标记转义测试")
    page.click("#go")
    page.wait_for_selector("#results .result")
    res = page.locator("#results .result", has_text="页面标记转义测试")
    assert res.count() >= 1
    assert "<b>粗体</b>" in res.first.locator("h3").inner_text()  # literally, not bold
    assert page.locator("#results img, #results b, #results script").count() == 0
    assert page.evaluate("window.__xss === undefined")


def test_bad_input_message(page):
    page.fill("#q", "字" * 190)
    page.evaluate("document.getElementById('q').value = '字'.repeat(250)")
    page.click("#go")
    page.wait_for_selector("#status.error")
    assert "422" in page.inner_text("#status")
