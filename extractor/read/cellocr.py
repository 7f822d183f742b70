"""OCR of a ruled page cell by cell: the ruling lines already say where the text is.

A text detector spends about half of a scanned page's OCR time finding text lines, and
it misses what matters most in a performance table: a lone `=` or `≥` in its own cell.
Where the page's ruling lines form a grid, the text lines of each cell are found from
the ink inside the cell (rows of dark pixels, a pure numpy pass), and every line of every
cell is recognised in one batch. Only what lies outside the grids (titles, notes, prose)
goes through the detector, cut into the strips that hold ink.

Pure functions on a grayscale page image in pixels (`lines_in_cell`, `ink_strips`), and
`read_cells`, which joins them with an engine's `recognise` / full-page call.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from extractor.read.ocr import Candidates, PixelItem, Recognised
from extractor.read.scan import flag_runs

PxBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive
CJK = re.compile(r"[\u4e00-\u9fff]")  # a Chinese character



def ink_threshold(gray: np.ndarray) -> int:
    """The gray level between this page's paper and its ink: a blurred scan's thin strokes
    stay far lighter than its toner, and a faded one's paper and ink are close."""
    small = gray[::4, ::4]
    paper = float(np.percentile(small, 60))
    ink = float(np.percentile(small, 0.5))
    return int(round(ink + 0.55 * (paper - ink)))


@dataclass(frozen=True, slots=True)
class Band:
    """One text line inside a cell: its ink box in pixels."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def _clear_rules(dark: np.ndarray, edge: int) -> np.ndarray:
    """Remove what is left of the cell's ruling lines: rows / columns near an edge that are
    dark over most of their length."""
    dark = dark.copy()
    h, w = dark.shape
    if h == 0 or w == 0:
        return dark
    rows = dark.mean(axis=1) > 0.6
    cols = dark.mean(axis=0) > 0.6
    for r in np.flatnonzero(rows):
        if r < edge or r >= h - edge:
            dark[r, :] = False
    for c in np.flatnonzero(cols):
        if c < edge or c >= w - edge:
            dark[:, c] = False
    return dark


def _bands(dark: np.ndarray, line_h: float) -> list[tuple[int, int]]:
    """Row bands of ink, short pieces of one line joined (the two bars of `=`, `≥`'s parts):
    a band much shorter than a line joins its neighbour when the two still fit one line."""
    merged: list[list[int]] = []
    for s, e in flag_runs(dark.sum(axis=1) > 0):
        if merged:
            ps, pe = merged[-1]
            short = min(pe - ps, e - s) < 0.6 * line_h
            if (s - pe) < 0.5 * line_h and (e - ps) <= 1.35 * line_h and (short or s - pe <= 1):
                merged[-1][1] = e
                continue
        merged.append([s, e])
    return [(s, e) for s, e in merged]


def _pieces(cols: np.ndarray, gap: float) -> list[tuple[int, int]]:
    """Column runs of ink, split where at least `gap` columns of paper run."""
    ink = np.flatnonzero(cols)
    if len(ink) == 0:
        return []
    out = [[int(ink[0]), int(ink[0]) + 1]]
    for x in ink[1:].tolist():
        if x - out[-1][1] >= gap:
            out.append([x, x + 1])
        else:
            out[-1][1] = x + 1
    return [(a, b) for a, b in out]


def _dot(blob: np.ndarray, line_h: float) -> bool:
    rows = np.flatnonzero(blob.any(axis=1))
    return blob.shape[1] < 0.35 * line_h and (len(rows) == 0 or rows[-1] - rows[0] + 1 < 0.35 * line_h)


def _sliver(a: int, b: int, width: int, line_h: float) -> bool:
    """Columns a..b of a cell's ink are a ruling line's remains: a stroke thinner than any
    figure's (an eighth of a line), within a fifth of a line of the cell's side."""
    return b - a <= max(2.0, 0.12 * line_h) and (a <= 0.2 * line_h or b >= width - 0.2 * line_h)


def lines_in_cell(gray: np.ndarray, box: PxBox, line_h: float, dark_below: int, inset: int = 3,
                  split: float | None = None) -> list[Band]:
    """The text lines inside a cell, top to bottom, as ink boxes in page pixels.

    `line_h`: the page's typical text height in pixels. `split`: outside a cell, a line
    is cut into pieces where this many pixels of paper run ("部门：…" left, "单位：万元"
    right). Specks (a few dark pixels) are not text.
    """
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    dark = gray[y0:y1, x0:x1] < dark_below
    if split is None:
        dark = _clear_rules(dark, edge=max(3, inset + 1))
    out: list[Band] = []
    dust = max(6, 0.02 * line_h * line_h)
    for s, e in _bands(dark, line_h):
        part = dark[s:e]
        # a speck set apart from the text by half a line of paper is dust, not a character
        # ("8294.09" + "·", "邮电费" + "4"): a blob smaller than a third of a line every way
        runs = [(a, b) for a, b in _pieces(part.any(axis=0), 0.5 * line_h) if not _dot(part[:, a:b], line_h)]
        if split is None:  # a sliver at the cell's side is what is left of its rule, not a "1"
            runs = [(a, b) for a, b in runs if not _sliver(a, b, part.shape[1], line_h)]
        if split is None and runs:
            runs = [(runs[0][0], runs[-1][1])]
        elif runs:  # outside cells: pieces of one line joined up to the split gap
            joined = [list(runs[0])]
            for a, b in runs[1:]:
                if a - joined[-1][1] < split:
                    joined[-1][1] = b
                else:
                    joined.append([a, b])
            runs = [(a, b) for a, b in joined]
        for a, b in runs:
            if int(part[:, a:b].sum()) < dust:
                continue
            rows = np.flatnonzero(part[:, a:b].any(axis=1))
            out.append(Band(x0 + a, y0 + s + int(rows[0]), x0 + b, y0 + s + int(rows[-1]) + 1))
    return out


def line_height(gray: np.ndarray, boxes: Sequence[PxBox], dark_below: int) -> float:
    """The typical height of a text line: the median ink band of these cells, or of the
    page where it has no cells."""
    heights: list[int] = []
    regions = list(boxes[:400]) or [(0, 0, gray.shape[1], gray.shape[0])]
    least = max(3, gray.shape[0] // 200)  # no print is smaller: shorter bands are specks (a blank half-sheet's)
    for x0, y0, x1, y1 in regions:
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        dark = _clear_rules(gray[y0 + 3 : y1 - 3, x0 + 3 : x1 - 3] < dark_below, edge=4)
        heights.extend(e - s for s, e in flag_runs(dark.sum(axis=1) > 0) if e - s > least)
    return float(np.median(heights)) if heights else 20.0


def crop(gray: np.ndarray, band: Band, line_h: float) -> np.ndarray:
    """The band as the 3-channel image a recogniser takes: at least one text line tall and
    one character wide, centred on the ink, with a margin of paper (a lone `=` cut to its
    own two bars is read as 排 or 月; set in a line's height it is read as `=`)."""
    h, w = gray.shape
    pad = max(2, int(round(0.2 * line_h)))
    half_h = max(band.height, line_h) / 2 + pad
    half_w = max(band.x1 - band.x0, line_h) / 2 + pad
    cy, cx = (band.y0 + band.y1) / 2, (band.x0 + band.x1) / 2
    y0, y1 = max(0, int(cy - half_h)), min(h, int(np.ceil(cy + half_h)))
    x0, x1 = max(0, int(cx - half_w)), min(w, int(np.ceil(cx + half_w)))
    part = gray[y0:y1, x0:x1]
    return np.ascontiguousarray(np.repeat(part[:, :, None], 3, axis=2))



@dataclass(frozen=True, slots=True)
class Reading:
    """What the recogniser read in one line: its ink box in page pixels, the cell it is in
    (the page for text outside the grids), and, for a one-glyph cell line, the glyph's
    image (`glyph_patch`) for a `second_look`."""

    band: Band
    cell: PxBox
    text: str
    conf: float
    patch: np.ndarray | None = None
    first: str | None = None  # what the recogniser read, when a second look changed it
    alts: tuple[Candidates, ...] = ()  # each character's candidates, where the engine tells

    def shifted(self, dx: int) -> "Reading":
        b, c = self.band, self.cell
        return Reading(Band(b.x0 + dx, b.y0, b.x1 + dx, b.y1), (c[0] + dx, c[1], c[2] + dx, c[3]),
                       self.text, self.conf, self.patch, self.first, self.alts)


_PATCH = 24  # side of the normalised glyph image compared in a second look
SURE = 0.9  # a reading at least this confident is an exemplar of its glyph
ONE_GLYPH = 1.6  # a cell line at most this many line heights wide holds one glyph
_SAME_COLUMN = 8  # pixels: cells whose left and right edges are this close are one column


def glyph_patch(gray: np.ndarray, band: Band, line_h: float) -> np.ndarray:
    """A one-glyph band as a zero-mean, unit-norm image of one line height square, centred
    on its ink: glyphs printed alike give patches that correlate."""
    h, w = gray.shape
    half = line_h / 2 + 1
    cy, cx = (band.y0 + band.y1) / 2, (band.x0 + band.x1) / 2
    y0, y1 = max(0, int(cy - half)), min(h, int(np.ceil(cy + half)))
    x0, x1 = max(0, int(cx - half)), min(w, int(np.ceil(cx + half)))
    part = gray[y0:y1, x0:x1].astype(np.float32)
    ys = np.linspace(0, part.shape[0] - 1, _PATCH).round().astype(int)
    xs = np.linspace(0, part.shape[1] - 1, _PATCH).round().astype(int)
    patch = 255.0 - part[np.ix_(ys, xs)]
    patch -= patch.mean()
    norm = float(np.linalg.norm(patch))
    return patch / norm if norm > 0 else patch


def _columns(readings: Sequence[Reading]) -> list[list[int]]:
    """Indexes of the glyph readings grouped by column: cells whose edges line up (on
    one page or across the pages of a document, where a table continues)."""
    order = sorted((i for i, r in enumerate(readings) if r.patch is not None),
                   key=lambda i: (readings[i].cell[0], readings[i].cell[2]))
    groups: list[list[int]] = []
    for i in order:
        c = readings[i].cell
        for g in groups:
            d = readings[g[0]].cell
            if abs(c[0] - d[0]) <= _SAME_COLUMN and abs(c[2] - d[2]) <= _SAME_COLUMN:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def second_look(readings: Sequence[Reading], accept: float = 0.9, margin: float = 0.08) -> list[Reading]:
    """One-glyph cells read again against the glyphs their column prints clearly.

    In a column where cells hold one glyph read with confidence (`≥`, `=`, `%`, at least
    two of a kind), a one-glyph cell read doubtfully or as something no clear cell shows
    (`≥` read as `2`, `=` as `排`, `%` as `%6`) is compared with those clear glyphs, pixel
    by pixel; when one glyph matches it closely (`accept`) and clearly better than any
    other (`margin`), the cell is read as that glyph and keeps the first reading in
    `first`. Otherwise it stays as read. Pass a document's readings together: a column
    continued over pages pools its clear glyphs.
    """
    out = list(readings)
    for members in _columns(readings):
        classes = _glyph_classes([readings[i] for i in members])
        for i in members:
            r = readings[i]
            if r.patch is None or (r.conf >= SURE and (r.text in classes or len(r.text) > 1)):
                continue
            scores = sorted(((float(np.sum(r.patch * c)), t) for t, c in classes.items()), reverse=True)
            if not scores:
                continue
            best, text = scores[0]
            runner = scores[1][0] if len(scores) > 1 else 0.0
            if best >= accept and best - runner >= margin and text != r.text:
                out[i] = Reading(r.band, r.cell, text, round(best, 3), r.patch, first=r.text)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _glyph_classes(readings: Sequence[Reading], same: float = 0.9) -> dict[str, np.ndarray]:
    """The glyphs a column prints clearly: text → unit mean image, from sure one-glyph
    readings (two at least). Readings of one glyph under two texts (a blurred `≥` read
    `2` with confidence now and then) look alike: their images correlate above `same`,
    and they are one glyph, named by the text most of them got."""
    exemplars: dict[str, list[np.ndarray]] = {}
    for r in readings:
        if r.patch is not None and r.conf >= SURE and len(r.text) == 1:
            exemplars.setdefault(r.text, []).append(r.patch)
    groups: list[list[str]] = []
    for t in sorted(exemplars, key=lambda t: -len(exemplars[t])):
        mean = _unit(np.mean(exemplars[t], axis=0))
        for g in groups:
            if float(np.sum(mean * _unit(np.mean(exemplars[g[0]], axis=0)))) >= same:
                g.append(t)
                break
        else:
            groups.append([t])
    classes = {}
    for g in groups:
        patches = [p for t in g for p in exemplars[t]]
        if len(patches) >= 2:
            classes[g[0]] = _unit(np.mean(patches, axis=0))
    return classes


NOISE = 0.5  # a band outside the cells read less surely than this is dust, not text
TALL = 3.0  # a band taller than this many lines is not a line of text: the detector reads it
PROSE = 3  # a cell of this many lines or more is a paragraph: the detector reads it


def read_cells(
    gray: np.ndarray,
    cells: Sequence[PxBox],
    grids: Sequence[PxBox],
    recognise: Callable[[list[np.ndarray]], Sequence[Recognised]],
    detect: Callable[[np.ndarray], list[PixelItem]],
) -> list[Reading]:
    """Every text line of the page, boxes in page pixels.

    Lines are found from the ink: inside each ruled cell, and outside the `grids` as row
    bands cut at wide gaps. All of them are recognised in one batch; a cell's one-glyph
    lines carry their glyph image for a `second_look`. Only a band too tall to be a line
    (a figure, a block the projection cannot part) goes to the detector.
    """
    dark = ink_threshold(gray)
    line_h = line_height(gray, cells, dark)
    located: list[tuple[PxBox, Band]] = []
    prose: list[PxBox] = []  # cells of PROSE lines or more: the detector reads paragraphs better
    for box, image in zip(cells, _own_ink(gray, cells), strict=True):
        lines = lines_in_cell(image, box, line_h, dark)
        if len(lines) >= PROSE:
            prose.append(box)
        else:
            located += [(box, b) for b in lines]
    rest = gray.copy()
    for x0, y0, x1, y1 in grids:
        rest[max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = 255
    page = (0, 0, gray.shape[1], gray.shape[0])
    free, tall = [], []
    for b in lines_in_cell(rest, page, line_h, dark, inset=0, split=1.5 * line_h):
        (tall if b.height > TALL * line_h else free).append(b)
    readings: list[Reading] = []
    bands = [b for _, b in located] + free
    if bands:
        crops = [crop(gray if i < len(located) else rest, b, line_h) for i, b in enumerate(bands)]
        texts = recognise(crops)
        lines_of = Counter(box for box, _ in located)
        for (box, b), t in zip(located, texts[: len(located)], strict=True):
            if _speck(b, t.text, t.conf, line_h, alone=lines_of[box] == 1):
                continue
            glyph = b.x1 - b.x0 <= ONE_GLYPH * line_h
            readings.append(Reading(b, box, t.text, t.conf, glyph_patch(gray, b, line_h) if glyph else None,
                                    alts=t.alts))
        readings += [Reading(b, page, t.text, t.conf, alts=t.alts)
                     for b, t in zip(free, texts[len(located):], strict=True)
                     if _text_like(b, t.conf, line_h)]
    for b in tall:
        readings += detected(rest, (b.x0 - 4, b.y0 - 4, b.x1 + 4, b.y1 + 4), page, detect)
    for box in prose:
        readings += detected(gray, (box[0] + 3, box[1] + 3, box[2] - 3, box[3] - 3), box, detect)
    return readings


def _own_ink(gray: np.ndarray, cells: Sequence[PxBox], near: int = 3) -> Iterator[np.ndarray]:
    """For each cell the page image to find its lines in: the page, or, for a cell that
    holds smaller cells (a grid whose faint rules were found in part spans a cell over
    those it missed), the page with the smaller cells made paper, so that no line is read
    twice, once in each."""
    for x0, y0, x1, y1 in cells:
        inner = [c for c in cells if c != (x0, y0, x1, y1) and c[0] >= x0 - near and c[1] >= y0 - near
                 and c[2] <= x1 + near and c[3] <= y1 + near]
        if not inner:
            yield gray
            continue
        image = gray.copy()
        for a, b, c, d in inner:
            image[b:d, a:c] = 255
        yield image


def _speck(band: Band, text: str, conf: float, line_h: float, alone: bool) -> bool:
    """A line of a cell that is dust: under half a line tall and read as a letter or a
    figure, or doubtfully, beside the cell's text ("1一般公共预算拨款收入"); alone in the
    cell, only a dot read doubtfully, a third of a line or less every way (a lone `=` is
    short too, but half a line wide), or a stroke read doubtfully as one Chinese character,
    under half a line wide and twice as tall as wide (阿 at 0.18 for a 5×11 pixel blot in a
    faded page's empty amount cell): a Chinese character is about as wide as it is tall. A
    lone `=` is not that (read 菜 or 二, the second look makes it `=` again)."""
    if alone:
        width = band.x1 - band.x0
        small = max(band.height, width) < 0.35 * line_h
        blot = width < 0.5 * line_h and band.height >= 2 * width and bool(CJK.fullmatch(text))
        return conf < NOISE and (small or blot)
    return band.height < 0.5 * line_h and (conf < NOISE or text.isascii() and text.isalnum())


def _text_like(band: Band, conf: float, line_h: float) -> bool:
    """A band outside the cells read as text, not a speck read as "-", "1" or "S": read with
    some confidence, and half a line tall unless read surely (a blank half-sheet's dust)."""
    return conf >= NOISE and (band.height >= 0.5 * line_h or conf >= SURE)


def detected(gray: np.ndarray, region: PxBox, cell: PxBox,
             detect: Callable[[np.ndarray], list[PixelItem]]) -> list[Reading]:
    """What the detector finds and reads in `region` of the page, as readings of `cell`."""
    x0, y0 = max(0, region[0]), max(0, region[1])
    out = []
    for text, (a, c, d, e), conf, alts in detect(np.ascontiguousarray(gray[y0 : region[3], x0 : region[2]])):
        band = Band(int(a) + x0, int(c) + y0, int(np.ceil(d)) + x0, int(np.ceil(e)) + y0)
        out.append(Reading(band, cell, text, conf, alts=alts))
    return out
