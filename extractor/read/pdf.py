"""Read a PDF into pages of words with boxes and ruling lines (PyMuPDF).

This is the only module that opens PDFs. Pages without a text layer are marked
`needs_ocr`; the OCR step fills their words in the same shape.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
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
    by_cells: bool = True  # read ruled cells without the detector (cellocr); False: detector on the whole page
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)  # pages OCR'd at once

    @classmethod
    def of(cls, settings) -> "OcrOptions":  # type: ignore[no-untyped-def]
        """From the `[ocr]` settings (`extractor.config.OCRSettings`)."""
        return cls(engine=settings.engine, dpi=settings.dpi, by_cells=settings.by_cells,
                   threads=settings.threads or os.cpu_count() or 1)


def render(page: pymupdf.Page, dpi: int):  # type: ignore[no-untyped-def]
    """The page as displayed, an RGB array at `dpi` (PyMuPDF: call from one thread only)."""
    import numpy as np

    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)


@dataclass(slots=True)
class Scanned:
    """A page read from its image, before the document-wide second look."""

    page: Page
    rules: list[Rule]
    readings: list  # cellocr.Reading, boxes in the upright image's pixels
    turn: int
    skew: float


def scan_image(rgb, read: Page, options: OcrOptions) -> Scanned:  # type: ignore[no-untyped-def]
    """What the recogniser reads on a page image (thread-safe: numpy and the engine only).

    The image is cleaned (red seals out, faded levels stretched), turned upright (a page
    fed sideways or upside down) and deskewed first; words and rules then share that
    frame (within a degree of the printed page), in points, like a digital page's. A page
    turned a quarter reads with its width and height swapped, and `skew` holds the whole
    turn found (e.g. 90.4). A sheet printing two pages side by side is read half by half.
    """
    from extractor.read.scan import page_rules, two_up_split

    gray, turn, skew = _upright_image(rgb, options)
    if turn % 180:
        read.width, read.height = read.height, read.width
    split = two_up_split(gray, options.dpi)
    rules = page_rules(gray, options.dpi, two_up=split is not None)
    return Scanned(read, rules, _recognise_halves(gray, rules, options, split), turn, skew)


def finish_scans(scans: list[Scanned], options: OcrOptions, printed: Sequence[str] = ()) -> list[Page]:
    """The pages' words, after a second look over the whole document: one-glyph cells
    against the glyphs their column prints clearly (`cellocr.second_look`), doubtful
    characters against the words the document prints surely, as text too (`printed`: its
    text pages' words), and the vocabulary's (`lexical.lexical_look`)."""
    from extractor import vocabulary
    from extractor.read import cellocr, lexical

    flat = [(k, r) for k, sc in enumerate(scans) for r in sc.readings]
    looked = cellocr.second_look([r for _, r in flat])
    looked = lexical.lexical_look(looked, vocabulary.ocr_terms(), printed)
    per_page: list[list] = [[] for _ in scans]
    for (k, _), r in zip(flat, looked, strict=True):
        per_page[k].append(r)
    scale = 72.0 / options.dpi
    pages = []
    for sc, readings in zip(scans, per_page, strict=True):
        kept = [r for r in readings if r.text.strip()]
        words = [
            Word(r.text, r.band.x0 * scale, r.band.y0 * scale, r.band.x1 * scale, r.band.y1 * scale,
                 ocr=True, conf=r.conf, first=r.first)
            for r in kept
        ]
        # a cell's heading in bigger print than the body (金额, 合计) is no stamp: a line of its cell
        in_cell = [r.cell[3] - r.cell[1] < 10 * max(1, r.band.height) for r in kept]
        read = sc.page
        read.words = split_at_rules(_without_stamps(words, in_cell), sc.rules)
        read.rules = sc.rules
        read.source = "ocr" if read.words else "empty"
        read.skew = round((sc.turn + sc.skew + 180) % 360 - 180, 2)
        pages.append(read)
    return pages


def _upright_image(rgb, options: OcrOptions):  # type: ignore[no-untyped-def]
    """The page image as the recogniser should see it: gray, red ink (a seal) made paper,
    faded levels stretched, turned upright, deskewed. Returns it with the turn (0, 90,
    180 or 270: degrees counter-clockwise the scan was turned) and the skew (degrees)."""
    import numpy as np
    from PIL import Image

    from extractor.read import scan

    gray = scan.stretch_contrast(scan.to_gray(rgb))
    k = 0  # quarter turns counter-clockwise applied to the image
    if scan.quarter_turn(gray, options.dpi):  # text runs down the image: turn it; the 180° check settles which way
        k = 1
        gray = np.ascontiguousarray(np.rot90(gray, k))
    skew = scan.estimate_skew(gray)
    if abs(skew) >= 0.05:
        gray = np.asarray(Image.fromarray(gray).rotate(-skew, resample=Image.BICUBIC, fillcolor=255))
    if _upside_down(gray, options):
        k += 2
        gray = np.ascontiguousarray(gray[::-1, ::-1])
    return gray, (-90 * k) % 360, skew


def _upside_down(gray, options: OcrOptions, n: int = 3) -> bool:  # type: ignore[no-untyped-def]
    """Does the (deskewed) page read better turned 180°? A few of its longest text lines
    are recognised as they are; only when the recogniser is unsure of them are they read
    turned too, and the page is turned when that reads clearly better, and well. Whole lines, not
    the engine's angle classifier, which flips short number cells ("99" read as "66")."""
    from extractor.read.ocr import get_engine
    from extractor.read.scan import text_lines

    engine = get_engine(options.engine)
    boxes = text_lines(gray, options.dpi, n)
    if not boxes or not hasattr(engine, "recognise"):  # an engine that cannot read a line alone: no check
        return False
    crops = [gray[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes]
    upright = _lines_confidence(engine, crops)
    if upright >= 0.93 * len(crops):
        return False
    turned = _lines_confidence(engine, [c[::-1, ::-1] for c in crops])
    return turned - upright > 0.15 * len(crops) and turned > 0.7 * len(crops)


def _lines_confidence(engine, crops) -> float:  # type: ignore[no-untyped-def]
    """Sum over the crops (one text line each) of the engine's line recogniser's confidence."""
    import numpy as np

    rgb = [np.ascontiguousarray(np.repeat(c[:, :, None], 3, axis=2)) for c in crops]
    return float(sum(r.conf for r in engine.recognise(rgb)))


def _recognise_halves(gray, rules: list[Rule], options: OcrOptions, split: int | None):  # type: ignore[no-untyped-def]
    """`_recognise` on the page, or on each half of a two-page sheet (`split`: the gutter's
    x in pixels) as its own image, boxes put back in the sheet's pixels."""
    import numpy as np

    if split is None:
        return _recognise(gray, rules, options)
    cut = split * 72.0 / options.dpi
    left = [r for r in rules if (r.x0 + r.x1) / 2 < cut]
    right = [Rule(r.x0 - cut, r.y0, r.x1 - cut, r.y1) for r in rules if (r.x0 + r.x1) / 2 >= cut]
    readings = list(_recognise(np.ascontiguousarray(gray[:, :split]), left, options))
    readings += [r.shifted(split) for r in _recognise(np.ascontiguousarray(gray[:, split:]), right, options)]
    return readings


def _recognise(gray, rules: list[Rule], options: OcrOptions):  # type: ignore[no-untyped-def]
    """What the engine reads on a deskewed page image (`cellocr.Reading`s, boxes in its
    pixels): cell by cell inside the ruled grids and line by line outside them
    (`cellocr.read_cells`); with `by_cells` off, the detector on the whole page."""

    from extractor.layout.grid import ruled_cells
    from extractor.read import cellocr
    from extractor.read.ocr import get_engine

    engine = get_engine(options.engine)
    if not options.by_cells:
        page = (0, 0, gray.shape[1], gray.shape[0])
        return cellocr.detected(gray, page, page, engine.detect)
    s = options.dpi / 72.0

    def px(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        return (int(round(box[0] * s)), int(round(box[1] * s)), int(round(box[2] * s)), int(round(box[3] * s)))

    frames = ruled_cells(rules)
    cells = [px(b) for _, boxes in frames for b in boxes]
    return cellocr.read_cells(gray, cells, [px(g) for g, _ in frames], engine.recognise, engine.detect)


def _without_stamps(words: list[Word], in_cell: Sequence[bool] = (), factor: float = 1.6, short: int = 3,
                    cell_factor: float = 2.5) -> list[Word]:
    """Drop a watermark's loose characters: a scan's "仅供内部审核" is read at an angle
    (dropped by the OCR adapter) or one big character at a time ("内", "申"), which would
    land in table cells. Those are short words far taller than the page's lines of text; a
    line read inside a ruled cell (`in_cell`) may be a heading in bigger print, up to
    `cell_factor` times as tall."""
    if len(words) < 5:
        return words
    lines = [w for w in words if len(w.text) > short] or words  # not specks read as "-" or "1"
    heights = sorted(w.y1 - w.y0 for w in lines)
    median = heights[len(heights) // 2]
    cells = list(in_cell) or [False] * len(words)
    return [w for w, c in zip(words, cells, strict=True)
            if len(w.text) > short or (w.y1 - w.y0) <= (cell_factor if c else factor) * median]


def read_pdf(path: Path, ocr: OcrOptions | None = None, on_page=None) -> PdfDocument:  # type: ignore[no-untyped-def]
    """Pages with words and rules. Pages without a text layer are OCR'd when `ocr` is
    given, else they come back empty with `image_only=True`.

    OCR runs on `ocr.threads` pages at once: pages are rendered here one by one (PyMuPDF
    is not thread-safe) and read on a thread pool (the engine and numpy release the GIL);
    the second look then runs over the whole document. `on_page(n, ocr)` is called for
    each page in page order once it is read, `ocr` telling whether it was OCR'd (progress).
    """
    doc = open_pdf(path)
    reads: list[Page | Scanned] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, ocr.threads if ocr else 1)) as pool:
            pending: list[tuple[Page, Future[Scanned] | None]] = []
            window = 2 * (ocr.threads if ocr else 1)  # pages rendered ahead of the readers

            def settle(limit: int) -> None:
                while len(pending) > limit:
                    read, job = pending.pop(0)
                    reads.append(read if job is None else job.result())
                    if on_page is not None:
                        on_page(read.number, job is not None)

            for page in doc:
                read = read_page(page)
                job = None
                if ocr is not None and read.image_only:
                    job = pool.submit(scan_image, render(page, ocr.dpi), read, ocr)
                pending.append((read, job))
                settle(window)
            settle(0)
        scans = [r for r in reads if isinstance(r, Scanned)]
        if scans:
            assert ocr is not None
            printed = [w.text for r in reads if isinstance(r, Page) for w in r.words]
            finished = iter(finish_scans(scans, ocr, printed))
            reads = [next(finished) if isinstance(r, Scanned) else r for r in reads]
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"{path}: failed while reading page {len(reads) + 1}: {exc}") from exc
    finally:
        doc.close()
    return PdfDocument(path=path, sha256=sha256_file(path), pages=[r for r in reads if isinstance(r, Page)])
