"""Read a PDF into pages of words with boxes and ruling lines (PyMuPDF).

This is the only module that opens PDFs. Pages without a text layer are marked
`needs_ocr`; the OCR step fills their words in the same shape.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import pymupdf

from extractor.errors import ExtractorError
from extractor.read.page import Page, PdfDocument, Rule, Word
from extractor.read.split import split_at_rules


class ReadError(ExtractorError):
    """A PDF that cannot be opened or read; fails that document, not the batch."""


# A rectangle thinner than this (points) is a rule, not a filled cell background.
_RULE_THICKNESS = 2.0
_MIN_RULE_LENGTH = 3.0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rules(page: pymupdf.Page) -> list[Rule]:
    """Horizontal and vertical segments from the page's vector drawings."""
    out: list[Rule] = []
    for path in page.get_drawings():
        for item in path["items"]:
            kind = item[0]
            if kind == "l":
                p, q = item[1], item[2]
                x0, x1 = sorted((p.x, q.x))
                y0, y1 = sorted((p.y, q.y))
                if (x1 - x0 < 0.5 or y1 - y0 < 0.5) and max(x1 - x0, y1 - y0) >= _MIN_RULE_LENGTH:
                    out.append(Rule(x0, y0, x1, y1))
            elif kind == "re":
                r = item[1]
                if r.width <= _RULE_THICKNESS and r.height >= _MIN_RULE_LENGTH:
                    out.append(Rule(r.x0 + r.width / 2, r.y0, r.x0 + r.width / 2, r.y1))
                elif r.height <= _RULE_THICKNESS and r.width >= _MIN_RULE_LENGTH:
                    out.append(Rule(r.x0, r.y0 + r.height / 2, r.x1, r.y0 + r.height / 2))
                elif path.get("color") is not None:  # a stroked box: its four sides
                    out.extend(
                        [
                            Rule(r.x0, r.y0, r.x1, r.y0),
                            Rule(r.x0, r.y1, r.x1, r.y1),
                            Rule(r.x0, r.y0, r.x0, r.y1),
                            Rule(r.x1, r.y0, r.x1, r.y1),
                        ]
                    )
    return out


def _watermarks(page: pymupdf.Page) -> list[tuple[str, pymupdf.Rect]]:
    """Spans that are watermarks, not content: text at an angle or drawn translucent
    ("仅供内部审核" across a page). Their text and box, to drop the words they make."""
    out = []
    for span in page.get_texttrace():
        dx, dy = span["dir"]
        tilted = abs(dx) > 0.02 and abs(dy) > 0.02
        if tilted or span.get("opacity", 1.0) < 0.9:
            text = "".join(chr(c[0]) for c in span["chars"])
            out.append((re.sub(r"\s+", "", text), pymupdf.Rect(span["bbox"])))
    return out


def _words(page: pymupdf.Page) -> list[Word]:
    marks = _watermarks(page)
    words = []
    for x0, y0, x1, y1, text, *_ in page.get_text("words", sort=False):
        if not text.strip():
            continue
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if any(text in mark and box.contains(pymupdf.Point(cx, cy)) for mark, box in marks):
            continue
        words.append(Word(text, x0, y0, x1, y1))
    return words


def _char_edges(page: pymupdf.Page) -> Callable[[Word], list[float] | None]:
    """Per word, its characters' left edges and the last one's right edge, from the text
    layer (read once per page, and only if a word needs splitting)."""
    chars: list[tuple[float, float, float]] | None = None

    def edges(w: Word) -> list[float] | None:
        nonlocal chars
        if chars is None:
            chars = [
                (ch["c"], ch["bbox"][0], ch["bbox"][2], (ch["bbox"][1] + ch["bbox"][3]) / 2)
                for block in page.get_text("rawdict", flags=pymupdf.TEXT_MEDIABOX_CLIP)["blocks"]
                for line in block.get("lines", ())
                for span in line["spans"]
                for ch in span["chars"]
                if ch["c"].strip()
            ]
        inside = sorted(
            (c for c in chars if w.x0 - 1 <= (c[1] + c[2]) / 2 <= w.x1 + 1 and w.y0 <= c[3] <= w.y1),
            key=lambda c: c[1],
        )
        # the word's own characters, in order (a neighbour's glyph may overlap its box)
        mine: list[tuple[str, float, float, float]] = []
        for c in inside:
            if len(mine) < len(w.text) and c[0] == w.text[len(mine)]:
                mine.append(c)
        if len(mine) != len(w.text):
            return None
        return [c[1] for c in mine] + [mine[-1][2]]

    return edges


def _derotate(page: pymupdf.Page, words: list[Word], rules: list[Rule]) -> tuple[list[Word], list[Rule]]:
    """Boxes of a /Rotate'd page as the reader sees the page (text and drawings come
    in unrotated coordinates)."""
    m = page.rotation_matrix

    def box(x0: float, y0: float, x1: float, y1: float) -> pymupdf.Rect:
        return (pymupdf.Rect(x0, y0, x1, y1) * m).normalize()

    out_words = []
    for w in words:
        r = box(w.x0, w.y0, w.x1, w.y1)
        out_words.append(Word(w.text, r.x0, r.y0, r.x1, r.y1, w.ocr, w.conf))
    out_rules = [Rule(*box(r.x0, r.y0, r.x1, r.y1)) for r in rules]
    return out_words, out_rules


def _image_only(page: pymupdf.Page) -> bool:
    """No text, but images covering most of the page: a scan."""
    area = abs(page.rect)
    covered = 0.0
    for info in page.get_image_info():
        covered += abs(pymupdf.Rect(info["bbox"]) & page.rect)
    return area > 0 and covered / area > 0.5


def read_page(page: pymupdf.Page) -> Page:
    words, rules = _words(page), _rules(page)
    if page.rotation:
        words, rules = _derotate(page, words, rules)
    words = split_at_rules(words, rules, edges=None if page.rotation else _char_edges(page))
    image_only = not words and _image_only(page)
    return Page(
        number=page.number + 1,
        width=page.rect.width,
        height=page.rect.height,
        rotation=page.rotation,
        words=words,
        rules=rules,
        source="text" if words else "empty",
        image_only=image_only,
    )


def open_pdf(path: Path) -> pymupdf.Document:
    try:
        doc = pymupdf.open(path)
    except Exception as exc:  # PyMuPDF raises several types for broken files
        raise ReadError(f"{path}: cannot open as PDF: {exc}") from exc
    if not doc.is_pdf:
        raise ReadError(f"{path}: not a PDF")
    if doc.needs_pass:
        raise ReadError(f"{path}: encrypted, needs a password")
    if doc.page_count == 0:
        raise ReadError(f"{path}: no pages (a broken or truncated PDF)")
    return doc


@dataclass(frozen=True, slots=True)
class OcrOptions:
    engine: str = "rapidocr"
    dpi: int = 200


def ocr_scanned_page(page: pymupdf.Page, read: Page, options: OcrOptions) -> Page:
    """Words and ruling lines of a page without a text layer, from its image.

    The image is deskewed first; words and rules then share the deskewed frame (within
    a degree of the printed page), in points, like a digital page's.
    """
    import numpy as np
    from PIL import Image

    from extractor.read.ocr import get_engine
    from extractor.read.scan import estimate_skew, find_rules

    pix = page.get_pixmap(dpi=options.dpi, colorspace=pymupdf.csGRAY, alpha=False)
    gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
    skew = estimate_skew(gray)
    if abs(skew) >= 0.05:
        gray = np.asarray(Image.fromarray(gray).rotate(-skew, resample=Image.BICUBIC, fillcolor=255))
    rules = find_rules(gray, options.dpi)
    rgb = np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    image = pymupdf.Pixmap(pymupdf.csRGB, rgb.shape[1], rgb.shape[0], rgb.tobytes(), 0)
    scale = 72.0 / options.dpi
    words = [
        Word(text, x0 * scale, y0 * scale, x1 * scale, y1 * scale, ocr=True, conf=conf)
        for text, (x0, y0, x1, y1), conf in get_engine(options.engine)(image)
        if text.strip()
    ]
    read.words = split_at_rules(_without_stamps(words), rules)
    read.rules = rules
    read.source = "ocr" if read.words else "empty"
    read.skew = skew
    return read


def _without_stamps(words: list[Word], factor: float = 1.6, short: int = 3) -> list[Word]:
    """Drop a watermark's loose characters: a scan's "仅供内部审核" is read at an angle
    (dropped by the OCR adapter) or one big character at a time ("内", "申"), which would
    land in table cells. Those are short words far taller than the page's text."""
    if len(words) < 5:
        return words
    heights = sorted(w.y1 - w.y0 for w in words)
    median = heights[len(heights) // 2]
    return [w for w in words if len(w.text) > short or (w.y1 - w.y0) <= factor * median]


def read_pdf(path: Path, ocr: OcrOptions | None = None, on_page=None) -> PdfDocument:  # type: ignore[no-untyped-def]
    """Pages with words and rules. Pages without a text layer are OCR'd when `ocr` is
    given, else they come back empty with `image_only=True`. `on_page(n)` is called
    after each page (progress)."""
    doc = open_pdf(path)
    pages = []
    try:
        for page in doc:
            read = read_page(page)
            if ocr is not None and read.image_only:
                read = ocr_scanned_page(page, read, ocr)
            pages.append(read)
            if on_page is not None:
                on_page(read.number)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"{path}: failed while reading page {len(pages) + 1}: {exc}") from exc
    finally:
        doc.close()
    return PdfDocument(path=path, sha256=sha256_file(path), pages=pages)
