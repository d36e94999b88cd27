"""Main-content extraction of saved pages: this project's parser (ingest.html) against
trafilatura and readability-lxml, on the demo pages and the real saved pages.

    pip install trafilatura readability-lxml   # only for this comparison; not dependencies
    python bench/html_extractors.py [--data ../shared/data]

Per set: the share of reference body lines (>= 4 Chinese characters) found in the output, the
output lines that are site chrome (copyright/ICP/share/related/breadcrumb markers, navigation
link texts), empty outputs, and milliseconds per page. References: the content element of the
demo pages (.guide-main / .article-content) and of gov.cn pages (#UCAP-CONTENT); for Guangzhou
pages the lines of documents.json's original_text (>= 10 Chinese characters, no chrome marker).
The figures are in ingest/html/__init__.py.
"""
import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(repo))
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--data", default=str(repo.parent / "shared" / "data"))
data = Path(ap.parse_args().data)
logging.disable(logging.WARNING)
import lxml.html  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from ingest.html import EmptyPage, decode_html, element_blocks, nav_link_texts, parse_page  # noqa: E402

try:
    import trafilatura
    from readability import Document as RDoc
except ImportError:
    sys.exit("pip install trafilatura readability-lxml (for this comparison only)")

def norm(s): return re.sub(r"\s+", "", s or "")
CJK = re.compile(r"[\u4e00-\u9fff]")
CHROME = re.compile(r"版权所有|ICP\s*备|主办单位|分享到|相关推荐|相关链接|上一篇|下一篇|当前位置|您当前所在的位置|网站地图|扫一扫")

def ours(html):
    try: return parse_page(html).text
    except EmptyPage: return ""
def traf(html):
    return trafilatura.extract(html.decode("utf-8", "replace") if isinstance(html, bytes) else html, include_tables=True, include_comments=False, favor_precision=False) or ""
def readab(html):
    s = RDoc(html).summary(html_partial=True)
    return "\n".join(t.strip() for t in lxml.html.fromstring(s).itertext() if t.strip())
EXTRACTORS = {"ours": ours, "trafilatura": traf, "readability": readab}

def sets():
    demo = []
    for p in sorted((repo / "corpus/pages").glob("*.html")):
        raw = p.read_bytes(); soup = BeautifulSoup(raw, "lxml")
        el = soup.select_one(".guide-main") or soup.select_one(".article-content")
        ref = [b for b in element_blocks(el) if len(CJK.findall(b)) >= 4]
        demo.append((p.name, raw, ref))
    gov = []
    for p in sorted((data / "policies/govcn/pages").glob("*.html")):
        raw = p.read_bytes(); soup = BeautifulSoup(decode_html(raw), "lxml")
        el = soup.select_one("#UCAP-CONTENT")
        if el is None: continue
        gov.append((p.name, raw, [b for b in element_blocks(el) if len(CJK.findall(b)) >= 4]))
    gz = []
    entries = {re.sub(r"^https?://", "", e.get("source_url") or ""): e for e in json.loads((data / "policies/guangzhou/documents.json").read_text())}
    for p in sorted((data / "policies/guangzhou/pages").glob("*.html")):
        raw = p.read_bytes(); soup = BeautifulSoup(decode_html(raw), "lxml")
        m = soup.find("meta", attrs={"name": "Url"})
        e = entries.get(re.sub(r"^https?://", "", m["content"])) if m and m.get("content") else None
        if not e: continue
        ref = [ln for ln in e["original_text"].split("\n") if len(CJK.findall(ln)) >= 10 and not CHROME.search(ln)]
        gz.append((p.name, raw, ref))
    return {"demo pages": demo, "govcn": gov, "guangzhou (documents.json text)": gz}

for set_name, pages in sets().items():
    print(f"## {set_name}: {len(pages)} pages")
    for name, fn in EXTRACTORS.items():
        found = total = leaks = leak_pages = empty = 0; secs = 0.0
        for fname, raw, ref in pages:
            nav = [t for t in nav_link_texts(raw) if len(t) >= 2]
            t0 = time.perf_counter(); out = fn(raw); secs += time.perf_counter() - t0
            if not out.strip(): empty += 1
            o = norm(out); lines = [norm(x) for x in out.split("\n") if x.strip()]
            refn = norm("".join(ref))
            found += sum(1 for r in ref if norm(r) in o); total += len(ref)
            leak = sum(1 for x in out.split("\n") if CHROME.search(x)) + sum(1 for t in nav if norm(t) in lines and norm(t) not in refn)
            leaks += leak; leak_pages += leak > 0
        print(f"  {name:<12} body lines kept {found}/{total} = {found/max(1,total):.3f}; chrome lines leaked {leaks} (pages with any: {leak_pages}); empty {empty}; {1000*secs/len(pages):.1f} ms/page")
