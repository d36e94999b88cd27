"""PDF text and table extraction on Chinese guide / policy PDFs: pdfplumber (used by ingest.files)
against pypdf and PyMuPDF.

    pip install pypdf pymupdf        # only for this comparison; PyMuPDF is AGPL, not a dependency
    python bench/pdf_libraries.py    # needs Debian's chromium and fonts-wqy-microhei

The PDFs are printed by headless Chromium from the pages the own-document tests write
(tests/owndocs_factory.py): a guide with a ruled 申请材料 table whose cells wrap, the same guide
with the table's borders removed, and a policy with a centred 文号 line. Per library: material rows
recovered exactly (all six cells), the policy's text similarity to its source (difflib ratio
without whitespace), and whether the 文号 line survives. The figures are in ingest/files/pdf.py.
"""
import difflib
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(repo), str(repo / "tests")]
logging.disable(logging.WARNING)
import owndocs_factory as F  # noqa: E402


def norm(s):
    return re.sub(r"\s+", "", s or "")


def rows_exact(tables) -> int:
    want = [[str(i), n, f, c, r, "" if note == "" else note] for i, (n, f, c, r, note) in enumerate(F.MATERIALS, 1)]
    best = 0
    for t in tables:
        got = [[norm(c) for c in row] for row in t]
        best = max(best, sum(1 for w in want if [norm(x) for x in w] in got))
    return best


def plumber(p):
    import pdfplumber

    with pdfplumber.open(p) as pdf:
        pg = pdf.pages[0]
        return pg.extract_text(), pg.extract_tables()


def pypdf_(p):
    import pypdf

    return pypdf.PdfReader(p).pages[0].extract_text(), []


def mupdf(p):
    import pymupdf

    pg = pymupdf.open(p)[0]
    return pg.get_text(), [t.extract() for t in pg.find_tables().tables]


def main() -> None:
    if not F.have_chromium():
        sys.exit("needs chromium (apt-get install chromium fonts-wqy-microhei)")
    tmp = Path(tempfile.mkdtemp())
    with F.chromium() as b:
        guide = F.print_pdf(b, F.guide_html(), tmp / "guide.pdf")
        borderless = F.print_pdf(b, F.guide_html().replace("border:1px solid #000;", ""), tmp / "borderless.pdf")
        policy = F.print_pdf(b, F.policy_html(), tmp / "policy.pdf")
    ref = norm(re.sub(r"<[^>]+>", "", F.policy_html().split("<body>", 1)[1]))
    for name, fn in (("pdfplumber", plumber), ("pypdf", pypdf_), ("pymupdf", mupdf)):
        try:
            fn(guide)  # warm the import
        except ImportError:
            print(f"{name:<11} not installed")
            continue
        out = []
        for p in (guide, borderless):
            t = time.perf_counter()
            _, tables = fn(p)
            out.append(f"{p.stem}: rows {rows_exact(tables)}/{len(F.MATERIALS)} ({(time.perf_counter() - t) * 1000:.0f} ms)")
        text, _ = fn(policy)
        sim = difflib.SequenceMatcher(None, norm(text), ref, autojunk=False).ratio()
        out.append(f"policy text {sim:.3f}, 文号 kept {F.POLICY_NUMBER in text}")
        print(f"{name:<11} " + "; ".join(out))


if __name__ == "__main__":
    main()
