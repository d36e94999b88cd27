"""OCR for scanned PDF pages (no text layer), with RapidOCR on onnxruntime: the ``ocr`` extra.

``rapidocr-onnxruntime`` ships its PP-OCRv4 Chinese detection and recognition models inside the
wheel (``rapidocr_onnxruntime/models/*.onnx``, ~16 MB) and never downloads at run time, so it
works offline. Without it, :func:`ocr_page` raises :class:`OcrUnavailable` and the reader
reports the page as scanned with :data:`INSTALL_HINT`.

A page is rendered at :data:`DPI` (pdfplumber → pypdfium2), recognised, and its text boxes are
put back into lines: boxes whose vertical centres are within half a line height are one line,
read left to right. Boxes below :data:`MIN_SCORE` confidence are dropped.
"""
from __future__ import annotations

from functools import lru_cache

from core.errors import GovsearchError

INSTALL_HINT = "install the ocr extra: pip install 'govsearch[ocr]'"
DPI = 200
MIN_SCORE = 0.5


class OcrUnavailable(GovsearchError):
    """The ``ocr`` extra (rapidocr-onnxruntime) is not installed."""

    hint = INSTALL_HINT


@lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as e:
        raise OcrUnavailable(f"OCR needs rapidocr-onnxruntime ({e}); {INSTALL_HINT}") from None
    return RapidOCR()


def available() -> bool:
    try:
        _engine()
    except OcrUnavailable:
        return False
    return True


def ocr_image(image) -> list[str]:
    """Text lines of a page image (a PIL image or an RGB numpy array), top to bottom."""
    import numpy as np

    engine = _engine()
    arr = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else image
    result, _ = engine(arr)
    boxes = []
    for box, text, score in result or []:
        if float(score) < MIN_SCORE or not str(text).strip():
            continue
        ys = [p[1] for p in box]
        xs = [p[0] for p in box]
        boxes.append((min(ys), max(ys), min(xs), str(text).strip()))
    boxes.sort()
    lines: list[list[tuple[float, float, float, str]]] = []
    for b in boxes:
        if lines:
            last = lines[-1]
            top, bottom = min(x[0] for x in last), max(x[1] for x in last)
            centre, height = (b[0] + b[1]) / 2, bottom - top
            if top <= centre <= bottom and abs(centre - (top + bottom) / 2) <= height / 2:
                last.append(b)
                continue
        lines.append([b])
    from ingest.files.layout import join_wrapped

    return [join_wrapped([x[3] for x in sorted(line, key=lambda x: x[2])]) for line in lines]


def ocr_page(page) -> list[str]:
    """Text lines of a pdfplumber page rendered at :data:`DPI`."""
    _engine()  # fail fast, before rendering, when the extra is missing
    return ocr_image(page.to_image(resolution=DPI).original)
