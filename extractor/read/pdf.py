"""Read a PDF into pages of words with boxes and ruling lines (PyMuPDF).

This is the only module that opens PDFs. Pages without a text layer are marked
`needs_ocr`; the OCR step fills their words in the same shape.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pymupdf


class ReadError(Exception):
    """A PDF that cannot be opened or read; fails that document, not the batch."""


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    ocr: bool = False
    conf: float = 1.0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal or vertical ruling segment (from a line or a thin rectangle)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return (self.y1 - self.y0) <= (self.x1 - self.x0)


PageSource = Literal["text", "ocr", "empty"]


@dataclass(slots=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    rotation: int
    words: list[Word] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    source: PageSource = "text"
    image_only: bool = False  # no text layer but an image covers the page → OCR candidate


@dataclass(slots=True)
class PdfDocument:
    path: Path
    sha256: str
    pages: list[Page]


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
    return doc


def read_pdf(path: Path) -> PdfDocument:
    """Pages with words and rules; scanned pages come back with `image_only=True`."""
    doc = open_pdf(path)
    try:
        pages = [read_page(page) for page in doc]
    except Exception as exc:
        raise ReadError(f"{path}: failed while reading pages: {exc}") from exc
    finally:
        doc.close()
    return PdfDocument(path=path, sha256=sha256_file(path), pages=pages)
