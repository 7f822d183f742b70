"""The values reading produces: words with boxes, ruling lines, pages.

OCR words look exactly like text-layer words (with `ocr=True`), so every later stage
treats digital and scanned pages alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    ocr: bool = False
    conf: float = 1.0
    first: str | None = None  # what OCR first read, where a second look changed `text`

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
    skew: float = 0.0  # degrees the scan was turned back by before OCR


@dataclass(slots=True)
class PdfDocument:
    path: Path
    sha256: str
    pages: list[Page]
