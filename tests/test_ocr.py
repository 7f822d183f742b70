"""OCR of image-only pages: text and boxes back in page points (extractor.read.ocr)."""

from __future__ import annotations

import shutil
import sys
import unicodedata

import pymupdf
import pytest

from extractor.read.ocr import OcrUnavailable, OcrWord, PixelItem, get_engine, ocr_page

DPI = 200
NUMBERS = ["1,557.33", "2010301", "96,240.00"]
# (text, baseline origin in displayed page points). CJK in "china-s"; numbers in
# Helvetica, since china-s sets ASCII digits wide apart (OCR then reads
# "1, 5 57.3 3"), unlike the fonts of real budget tables. Numbers stand alone so
# their boxes can be checked.
LINES = [
    ("一般公共预算财政拨款", (30, 60)),
    ("1,557.33", (260, 60)),
    ("科目编码", (30, 120)),
    ("2010301", (130, 120)),
    ("合计", (30, 180)),
    ("96,240.00", (260, 180)),
]


def _digital_page() -> tuple[pymupdf.Document, dict[str, pymupdf.Rect]]:
    """A 440×220 pt page with CJK text and numbers; returns the numbers' boxes."""
    doc = pymupdf.open()
    page = doc.new_page(width=440, height=220)
    for text, origin in LINES:
        font = "helv" if text in NUMBERS else "china-s"
        page.insert_text(origin, text, fontname=font, fontsize=16)
    boxes = {w[4]: pymupdf.Rect(w[:4]) for w in page.get_text("words") if w[4] in NUMBERS}
    assert set(boxes) == set(NUMBERS)
    assert all(page.rect.contains(r) for r in boxes.values())
    return doc, boxes


def _image_only(rotation: int = 0) -> tuple[pymupdf.Document, dict[str, pymupdf.Rect]]:
    """The digital page rasterised into an image-only page, displayed upright.

    With rotation=90 the page is stored portrait with /Rotate 90 and the image
    turned so that it displays like the original (as in landscape tables of
    scanned reports); expected boxes are then mapped to unrotated page space.
    """
    src, boxes = _digital_page()
    pix = src[0].get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False)
    w, h = src[0].rect.width, src[0].rect.height
    doc = pymupdf.open()
    if rotation == 0:
        page = doc.new_page(width=w, height=h)
        page.insert_image(page.rect, pixmap=pix)
    else:
        assert rotation == 90
        page = doc.new_page(width=h, height=w)
        page.set_rotation(90)
        page.insert_image(page.mediabox, pixmap=pix, rotate=90, keep_proportion=False)
        boxes = {n: r * page.derotation_matrix for n, r in boxes.items()}
    assert not page.get_text("words"), "page must have no text layer"
    return doc, boxes


def _find(words: list[OcrWord], number: str) -> list[OcrWord]:
    return [w for w in words if number in unicodedata.normalize("NFKC", w.text)]


def _near(word: OcrWord, box: pymupdf.Rect, tol: float = 6.0) -> bool:
    """The OCR box overlaps the drawn box and its vertical extent is close."""
    r = pymupdf.Rect(word.x0, word.y0, word.x1, word.y1)
    return r.intersects(box) and abs(r.y0 - box.y0) < tol and abs(r.y1 - box.y1) < tol


def _near_rotated(word: OcrWord, box: pymupdf.Rect, tol: float = 6.0) -> bool:
    """Same, for a box in unrotated space of a /Rotate 90 page (text runs along y)."""
    r = pymupdf.Rect(word.x0, word.y0, word.x1, word.y1)
    return r.intersects(box) and abs(r.x0 - box.x0) < tol and abs(r.x1 - box.x1) < tol


def test_rapidocr_recovers_numbers_and_boxes():
    pytest.importorskip("rapidocr")
    doc, boxes = _image_only()
    words = ocr_page(doc[0], dpi=DPI)
    assert all(isinstance(w, OcrWord) for w in words)
    for number, box in boxes.items():
        hits = _find(words, number)
        assert hits, f"{number} not recognised in {[w.text for w in words]}"
        assert any(_near(w, box) for w in hits), (number, box, hits)
        # The number is the whole line here, so the box should hug the glyphs.
        best = min(hits, key=lambda w: abs(w.x0 - box.x0))
        assert abs(best.x0 - box.x0) < 8 and abs(best.x1 - box.x1) < 8, (best, box)
    text = "".join(w.text for w in words)
    assert "预算" in text and "合计" in text
    assert all(0.0 <= w.conf <= 1.0 for w in words)


def test_rapidocr_rotated_page_maps_back_to_unrotated_space():
    pytest.importorskip("rapidocr")
    doc, boxes = _image_only(rotation=90)
    page = doc[0]
    assert page.rotation == 90
    words = ocr_page(page, dpi=DPI)
    for number, box in boxes.items():
        hits = _find(words, number)
        assert hits, f"{number} not recognised in {[w.text for w in words]}"
        assert any(_near_rotated(w, box) for w in hits), (number, box, hits)
    # Boxes lie inside the unrotated page (portrait 220 × 440).
    for w in words:
        assert -2 <= w.x0 < w.x1 <= page.mediabox.width + 2
        assert -2 <= w.y0 < w.y1 <= page.mediabox.height + 2


def test_engine_is_created_once():
    pytest.importorskip("rapidocr")
    assert get_engine("rapidocr") is get_engine("rapidocr")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_tesseract_fallback_recovers_numbers():
    try:
        get_engine("tesseract")
    except OcrUnavailable as exc:  # binary present but no chi_sim data
        pytest.skip(str(exc))
    doc, boxes = _image_only()
    words = ocr_page(doc[0], dpi=DPI, engine="tesseract")
    for number, box in boxes.items():
        digits = number.replace(",", "")  # tesseract may drop thousands separators
        hits = [w for w in words if digits in w.text.replace(",", "")]
        assert any(_near(w, box) for w in hits), (number, [w.text for w in words])


def test_unknown_engine_is_rejected():
    doc, _ = _digital_page()
    with pytest.raises(ValueError, match="unknown OCR engine"):
        ocr_page(doc[0], engine="nope")


def test_missing_rapidocr_names_the_pip_package(monkeypatch):
    from extractor.read import ocr

    monkeypatch.setitem(sys.modules, "rapidocr", None)  # makes `import rapidocr` fail
    with pytest.raises(OcrUnavailable, match="pip install rapidocr onnxruntime"):
        ocr._RapidOcr()


def test_rapidocr_detector_takes_a_strip_too_thin_to_scale_as_empty():
    pytest.importorskip("rapidocr")
    import numpy as np

    engine = get_engine("rapidocr")
    for shape in ((2737, 12), (15, 400)):  # a rule's stub outside the grids; a hairline band
        assert engine.detect(np.full((*shape, 3), 255, dtype=np.uint8)) == []


def test_rapidocr_recognise_keeps_each_characters_candidates():
    pytest.importorskip("rapidocr")
    doc, _ = _image_only()
    import numpy as np

    pix = doc[0].get_pixmap(dpi=DPI, colorspace=pymupdf.csRGB, alpha=False)
    rgb = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
    words = ocr_page(doc[0], dpi=DPI)
    w = max(words, key=lambda w: len(w.text))
    s = DPI / 72.0
    crop = np.ascontiguousarray(rgb[int(w.y0 * s) - 4 : int(w.y1 * s) + 4, int(w.x0 * s) - 4 : int(w.x1 * s) + 4])
    [got] = get_engine("rapidocr").recognise([crop])
    assert got.text and len(got.alts) == len(got.text)
    assert all(a[0][0] == c and 0.0 <= a[0][1] <= 1.0 for a, c in zip(got.alts, got.text, strict=True))


def test_rapidocr_detected_lines_keep_each_characters_candidates():
    """Lines the detector finds (a paragraph cell, text outside the grids) are read the way
    cells are, so the lexical second look can weigh their characters too."""
    pytest.importorskip("rapidocr")
    doc, _ = _image_only()
    import numpy as np

    pix = doc[0].get_pixmap(dpi=DPI, colorspace=pymupdf.csRGB, alpha=False)
    bgr = np.ascontiguousarray(np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)[:, :, ::-1])
    items = get_engine("rapidocr").detect(bgr)
    assert items and all(isinstance(i, PixelItem) for i in items)
    assert all(len(i.alts) == len(i.text) and all(a[0][0] == c for a, c in zip(i.alts, i.text, strict=True))
               for i in items)
    assert {w.text for w in ocr_page(doc[0], dpi=DPI)} == {i.text for i in items}
