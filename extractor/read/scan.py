"""Scanned pages: the image cleaned and turned upright, skew, ruling lines.

Pure numpy on a page image (grayscale, or RGB for `to_gray`), in the order the reader
applies them:

* `to_gray`: an RGB page to gray with red ink (an official seal, a red stamp) turned to
  paper, so neither the ruling-line finder nor the recogniser sees it; black stays black.
* `stretch_contrast`: a faded scan's levels (toner grey on grey paper) stretched to a
  normal scan's, so fixed thresholds work; a normal scan is left alone.
* `quarter_turn`: is the text set across the image (a page fed sideways)? From how far
  ink runs along rows vs columns once gaps between characters are closed.
* `estimate_skew`: the small angle left (up to ±4°).
* `text_lines`: a few text lines' boxes, which the reader recognises upright and turned
  180° to tell an upside-down page (the recogniser's confidence is the judge).
* `two_up_split`: a landscape sheet printing two pages side by side, split at its gutter.
* `find_rules`: ruling lines, found as long runs of dark pixels (a horizontal or vertical
  window that is all dark), after the page is deskewed, so the grid builder treats
  scanned and digital tables alike; `page_rules` takes the grey ones too where the page
  is ruled in grey or in lines too thin to come out dark, and `separators` the rules one
  cell long that neither window can tell from a character's stroke.
"""

from __future__ import annotations

import numpy as np

from extractor.read.page import Rule

DARK = 160  # gray level below which a pixel of a normal (or normalised) scan is ink
FAINT_LEN = 2.0  # a faint line must run this many times min_pt (text makes short faint runs)
# Faint lines: (levels below the paper, levels below the pixels 2 pt to the side) that a
# thin line's pixels reach. A 2-up print's 0.4 pt rules come out of a 150 dpi scan at about
# 190 on paper 248, in half-size print whose strokes a lower bar would take for lines; a
# table ruled in 0.5 pt grey (北京's tables) at 205-212 on the same paper.
THIN_LINES = (40, 25)
GREY_LINES = (25, 20)
SKEW_LINE = 32  # pooled pixels (23 pt at 200 dpi): a grey run this long counts in the skew's profile
GREY_GAIN = 1.3  # grey lines are used where they draw this much more ruling than the dark ones
PxBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Gray (uint8) of an RGB page image with red ink (a seal, a red stamp) taken off.

    Red ink on paper multiplies each channel by its own factor: little in red, much in
    green. Around solid red (a seal's ring and star; not a colour scanner's red fringes
    along black text), where a pixel is red (its red channel above green and blue), or
    within 3 pixels of one (a JPEG smears colour, which leaves a seal's rim grey), the ink's density is
    solved from the ratio of the red and green channels (the ink's full factors measured
    on the seal's densest pixels) and divided out of the red channel: what lies under the
    seal comes back, paper as paper, a grey ruling line as that grey, black as black, so
    the figures and lines a seal covers stay readable; what is left of the ink there
    (light grey: a scanner's levels are not a pure product) becomes paper. Elsewhere the
    luminance; a gray image's RGB (R=G=B) comes back unchanged."""
    probe = rgb[::8, ::8].astype(np.int16)
    if (probe[..., 0] == probe[..., 1]).all() and (probe[..., 1] == probe[..., 2]).all():
        return np.ascontiguousarray(rgb[..., 0])  # a gray scan: nothing to compute
    r = rgb[..., 0].astype(np.int32)
    g = rgb[..., 1].astype(np.int32)
    b = rgb[..., 2].astype(np.int32)
    lum = ((299 * r + 587 * g + 114 * b + 500) // 1000).astype(np.uint8)
    redness = r - np.maximum(g, b)
    strong = redness > 60
    # a seal is solid red over some area (its ring, its star); a colour scanner's fringes
    # along black text are red too, but a pixel or two wide: the red that survives an
    # erosion of 2 pixels says where a seal is
    core = strong.copy()
    for d in (1, 2):
        core[d:] &= strong[:-d]
        core[:-d] &= strong[d:]
        core[:, d:] &= strong[:, :-d]
        core[:, :-d] &= strong[:, d:]
    cy, cx = np.nonzero(core)
    if len(cy) < 50:
        return lum
    m = 12 + 40  # the seal's thin strokes and faint rim lie around its solid parts
    win = (slice(max(0, cy.min() - m), cy.max() + m + 1), slice(max(0, cx.min() - m), cx.max() + m + 1))
    ys, xs = np.nonzero(strong[win])
    ys, xs = ys + win[0].start, xs + win[1].start
    paper = float(np.percentile(lum[::4, ::4], 60))
    # the ink's factors on paper where it is densest: of its pixels over paper (the
    # brightest red quarter; over print the red channel is dark too), the least green tenth
    rs, gs = r[ys, xs], g[ys, xs]
    on_paper = rs >= np.percentile(rs, 75)
    dense = on_paper & (gs <= np.percentile(gs[on_paper], 10))
    t_red = min(0.99, float(np.median(rs[dense])) / paper)
    t_green = min(t_red - 0.05, float(np.median(gs[dense])) / paper)
    rw, gw = r[win].astype(np.float32), g[win].astype(np.float32)
    q = (rw + 1) / (gw + 1)  # red / green: 1 without ink, t_red / t_green under full ink
    den = (1 - t_red) - q * (1 - t_green)
    den[np.abs(den) < 1e-6] = 1e-6
    density = np.clip((1 - q) / den, 0.0, 1.0).astype(np.float32)
    density = _max_filter(density, 2)  # its edges' colour is smeared thin: take the neighbours' density
    under = np.minimum(rw / (1 - density * (1 - t_red)), paper)
    under[(under > paper - 50) & (density > 0.1)] = paper
    weight = _max_filter(np.clip((redness[win] - 8) / 25.0, 0.0, 1.0).astype(np.float32), 3)
    lw = lum[win].astype(np.float32)
    lum[win] = np.clip(lw + weight * (under - lw) + 0.5, 0, 255).astype(np.uint8)
    return lum


def _max_filter(a: np.ndarray, radius: int) -> np.ndarray:
    """Each pixel the largest value within `radius` pixels (a square), rows then columns."""
    out = a.copy()
    for d in range(1, radius + 1):
        out[d:] = np.maximum(out[d:], a[:-d])
        out[:-d] = np.maximum(out[:-d], a[d:])
    a = out.copy()
    for d in range(1, radius + 1):
        out[:, d:] = np.maximum(out[:, d:], a[:, :-d])
        out[:, :-d] = np.maximum(out[:, :-d], a[:, d:])
    return out


def contrast_levels(gray: np.ndarray) -> tuple[float, float]:
    """(ink, paper): the page's paper level (60th percentile: most of a page is paper)
    and its ink level (the 5th percentile of what is clearly darker than the paper)."""
    small = gray[::4, ::4]
    paper = float(np.percentile(small, 60))
    darker = small[small < paper - 30]
    if darker.size < max(20, small.size // 2000):  # next to nothing printed
        return paper, paper
    return float(np.percentile(darker, 5)), paper


def stretch_contrast(gray: np.ndarray, ink: float = 60.0, paper: float = 245.0, normal: float = 100.0) -> np.ndarray:
    """A faded page's gray levels mapped linearly onto a normal scan's: its `contrast_levels`
    to `ink` and `paper`. A normal scan's levels are about 110 and 248; `ink` is set darker
    because a faded scan's thin lines lose more to blur, and at 105 some of its ruling lines
    stay above the fixed dark threshold (`find_rules` misses them; 60 finds all of them on
    samples/000_low_contrast.pdf). Pages whose levels are `normal` apart or more (every
    ordinary scan), and blank pages, come back unchanged."""
    lo, hi = contrast_levels(gray)
    if hi - lo >= normal or hi - lo < 25:
        return gray
    out = ink + (gray.astype(np.float32) - lo) * ((paper - ink) / (hi - lo))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _min_pool(gray: np.ndarray, f: int) -> np.ndarray:
    """The image shrunk f times, each pixel the darkest of its block (thin lines survive)."""
    if f <= 1:
        return gray
    h, w = gray.shape[0] // f * f, gray.shape[1] // f * f
    out = gray[:h:f, :w:f].copy()
    for dy in range(f):
        for dx in range(f):
            if dy or dx:
                np.minimum(out, gray[dy:h:f, dx:w:f], out=out)
    return out


def _text_mask(gray: np.ndarray, dpi: int) -> tuple[np.ndarray, int, float]:
    """Ink that is not a ruling line, shrunk to about one pixel per point; the shrink
    factor and the mask's pixels per point."""
    f = max(1, round(dpi / 72))
    ppt = dpi / 72 / f
    dark = _min_pool(gray, f) < DARK
    k = max(4, round(14 * ppt))  # a stroke 14 pt long is a rule, no character's
    rules = _line_mask(dark, k) | _line_mask(dark.T, k).T
    return dark & ~rules, f, ppt


def _close_rows(mask: np.ndarray, gap: int) -> np.ndarray:
    """Gaps of at most `gap` pixels between inked pixels of a row filled in."""
    w = mask.shape[1]
    x = np.arange(w)
    last = np.maximum.accumulate(np.where(mask, x, -(10**6)), axis=1)
    nxt = np.minimum.accumulate(np.where(mask, x, 10**6)[:, ::-1], axis=1)[:, ::-1]
    return mask | ((nxt - last) <= gap + 1)


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    diff = np.diff(padded, axis=1)
    return np.nonzero(diff == -1)[1] - np.nonzero(diff == 1)[1]


def _em(text: np.ndarray) -> float | None:
    """A text line's height in mask pixels: the median band of inked rows, or of inked
    columns where that is smaller (the page may be turned); None without text."""
    def median_band(flags: np.ndarray) -> float:
        sizes = [e - s for s, e in flag_runs(flags) if e - s >= 3]
        return float(np.median(sizes)) if sizes else float("inf")

    em = min(median_band(text.any(axis=1)), median_band(text.any(axis=0)))
    return None if em == float("inf") else em


def text_direction(gray: np.ndarray, dpi: int, gap_pt: float | None = 2.2) -> float:
    """log(row-run / column-run): positive where text runs along the rows (upright or
    upside down), negative where it runs down the columns (a page turned a quarter).

    Ruling lines are removed; gaps up to `gap_pt` (between the characters of a word,
    never between two lines of text) are closed along rows, then along columns; the
    length-weighted mean run is a line's length one way and a character's height the
    other. Upright pages of the samples score +0.5 (a cover) to +2.5. With gap_pt None the
    gap is 0.45 of the text's line height (`_em`), for letter-spaced type (a real scan's
    prose, characters 0.4 em apart, scores about -0.1 with 2.2 pt and +0.8 to +1.2 so)."""
    text, _, ppt = _text_mask(gray, dpi)
    if gap_pt is None:
        em = _em(text)
        if em is None:
            return 0.0
        gap = max(1, round(0.45 * em))
    else:
        gap = max(1, round(gap_pt * ppt))
    rows = _run_lengths(_close_rows(text, gap)).astype(np.float64)
    cols = _run_lengths(_close_rows(np.ascontiguousarray(text.T), gap)).astype(np.float64)
    if rows.sum() < 200 or cols.sum() < 200:  # (next to) no text
        return 0.0
    return float(np.log(((rows**2).sum() / rows.sum()) / ((cols**2).sum() / cols.sum())))


def quarter_turn(gray: np.ndarray, dpi: int, margin: float = 0.4) -> bool | None:
    """Is the page's text set down the image (a sheet fed sideways)? True or False on
    clear evidence: `text_direction` past ±margin with a 2.2 pt gap, else past ±0.5 with
    the gap sized to the text (letter-spaced type); None where neither tells (next to no
    text), which the reader takes as not turned. The sized gap only breaks a tie: its line
    height is a guess that a busy page can get wrong."""
    d = text_direction(gray, dpi)
    if abs(d) <= margin:
        d = text_direction(gray, dpi, None)
        margin = max(margin, 0.5)
    return True if d < -margin else False if d > margin else None


def _profile_score(ys: np.ndarray, xs: np.ndarray, h: int, deg: float) -> float:
    rows = np.round(ys + np.tan(np.radians(deg)) * xs).astype(np.int64)
    ok = (rows >= 0) & (rows < h)
    profile = np.bincount(rows[ok], minlength=h).astype(np.float64)
    return float(np.sum(profile**2))


def _sample(mask: np.ndarray, most: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """The (rows, columns) of the mask's pixels; a fixed sample of `most` where there are
    more (enough for a profile, and fast)."""
    ys, xs = np.nonzero(mask)
    if len(ys) > most:
        pick = np.random.default_rng(0).choice(len(ys), most, replace=False)
        ys, xs = ys[pick], xs[pick]
    return ys, xs


def estimate_skew(gray: np.ndarray, max_deg: float = 4.0) -> float:
    """Skew angle in degrees (counter-clockwise positive, as PIL rotates) of a page image.

    Projection profile: at the right angle, text rows and ruling lines fall on pixel
    rows, so the row sums of dark pixels are most uneven. A coarse pass in 0.1° steps over
    ±max_deg, then a fine pass in 0.01° steps around the best. The pixels are those below
    DARK of the image halved by taking each 2×2 block's darkest, so that thin grey rules
    count as well as text: on a table ruled in 0.5 pt grey (北京) or printed two to a
    sheet, text alone left the angle off by up to a degree and a half. Grey rules too light
    for that (0.5 pt grey comes out of a scan at 205-212) count too, by `GREY_LINES`' levels
    where they are thin across (`_thin_dark`, 3 pooled pixels: 2 pt at 200 dpi) and run
    `SKEW_LINE` pooled pixels along: without them 北京's pages of 5 pt print came out up to
    half a degree off. Their profile is taken on each half of the sheet apart: two pages
    printed side by side rule their rows at different heights, and a wrong angle that lines
    the left page's rows up with the right one's would score as well as the right one.
    """
    pooled = _min_pool(gray, 2)
    dark = pooled < DARK
    below, step = GREY_LINES
    light = pooled < float(np.percentile(pooled[::2, ::2], 60)) - below
    lines = _line_mask(_thin_dark(pooled, light, 3, 0, step), SKEW_LINE) & ~dark
    h, mid = dark.shape[0], dark.shape[1] // 2
    dy, dx = _sample(dark)
    ly, lx = _sample(lines)
    if len(dy) + len(ly) < 50:
        return 0.0
    left = lx < mid
    parts = [(dy, dx), (ly[left], lx[left]), (ly[~left], lx[~left])]

    def score(deg: float) -> float:
        return sum(_profile_score(ys, xs, h, deg) for ys, xs in parts)

    inner = np.arange(-2.0, 2.05, 0.1)
    outer = [d for d in np.arange(2.1, max_deg + 0.05, 0.1)]
    coarse = max([*inner, *outer, *(-d for d in outer)], key=score)
    fine = max(np.arange(coarse - 0.1, coarse + 0.101, 0.01), key=score)
    return round(float(fine), 2)


def _runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of every horizontal run of True at least min_len long."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    diff = np.diff(padded, axis=1)
    starts = np.argwhere(diff == 1)
    ends = np.argwhere(diff == -1)
    out = []
    for (r, s), (_, e) in zip(starts, ends):
        if e - s >= min_len:
            out.append((int(r), int(s), int(e)))
    return out


def _line_mask(dark: np.ndarray, k: int) -> np.ndarray:
    """Pixels that belong to a horizontal window of k dark pixels (a 1-D opening)."""
    h, w = dark.shape
    if w <= k:
        return np.zeros_like(dark)
    cs = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(dark, axis=1, out=cs[:, 1:])
    full = (cs[:, k:] - cs[:, :-k]) >= int(k * 0.9)  # window start positions
    starts = np.zeros((h, w + 1), dtype=np.int32)
    starts[:, : full.shape[1]] += full
    starts[:, k : k + full.shape[1]] -= full
    return np.cumsum(starts, axis=1)[:, :w] > 0


def _thin_dark(gray: np.ndarray, dark: np.ndarray, d: int, axis: int, step: int = 25) -> np.ndarray:
    """Pixels of `dark` that are at least `step` darker than the pixels d away across
    `axis`: a thin line, not the inside of a filled area. Across a horizontal line (axis
    0) on both sides, above and below: a row of text has an edge of paper on one side all
    along. Across a vertical line (axis 1) on one side or the other: figures set right
    against a column's rule darken the paper on that side, row after row."""
    g = gray.astype(np.int16)
    before = np.full_like(g, 255)
    after = np.full_like(g, 255)
    if axis == 0:
        before[d:], after[:-d] = g[:-d], g[d:]
        return dark & (before - g >= step) & (after - g >= step)
    before[:, d:], after[:, :-d] = g[:, :-d], g[:, d:]
    return dark & ((before - g >= step) | (after - g >= step))


def find_rules(gray: np.ndarray, dpi: int, min_pt: float = 14.0,
               faint: tuple[int, int] | None = None) -> list[Rule]:
    """Ruling segments of a (deskewed) page image, in PDF points.

    Dark pixels (< DARK) in straight runs at least `min_pt` long. With `faint` (`THIN_LINES`
    or `GREY_LINES`: levels below the paper, levels below the pixels 2 pt across), thin
    lines lighter than that count too where they run at least FAINT_LEN times as long
    (`_thin_dark`). Off by default: on an ordinary scan its lines are dark already, and the
    longer window's reach past a line's end would move the frame's edges by a point or two."""
    k, lines_h, lines_v = _dark_lines(gray, dpi, min_pt)
    if faint:
        faint_h, faint_v = _faint_lines(gray, dpi, k, faint)
        lines_h, lines_v = lines_h | faint_h, lines_v | faint_v
    return _rules_of(lines_h, lines_v, k, dpi)


def _dark_lines(gray: np.ndarray, dpi: int, min_pt: float) -> tuple[int, np.ndarray, np.ndarray]:
    """The window (pixels) and the masks of dark pixels in horizontal and vertical lines
    (the vertical one transposed)."""
    dark = gray < DARK
    k = max(8, int(min_pt * dpi / 72))
    return k, _line_mask(dark, k), _line_mask(np.ascontiguousarray(dark.T), k)


def _faint_lines(gray: np.ndarray, dpi: int, k: int, faint: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The masks of faint lines, FAINT_LEN times the window long (`find_rules`)."""
    below, step = faint
    dark = gray < DARK
    light = gray < float(np.percentile(gray[::4, ::4], 60)) - below
    d = max(2, round(2 * dpi / 72))
    kf = int(FAINT_LEN * k)
    return (_line_mask(dark | _thin_dark(gray, light, d, 0, step), kf),
            _line_mask(np.ascontiguousarray((dark | _thin_dark(gray, light, d, 1, step)).T), kf))


def _rules_of(lines_h: np.ndarray, lines_v: np.ndarray, k: int, dpi: int) -> list[Rule]:
    scale = 72.0 / dpi
    rules: list[Rule] = []
    for r, s, e in _runs(lines_h, k):
        y = (r + 0.5) * scale
        rules.append(Rule(s * scale, y, e * scale, y))
    for c, s, e in _runs(lines_v, k):
        x = (c + 0.5) * scale
        rules.append(Rule(x, s * scale, x, e * scale))
    return in_lattice(rules)


def page_rules(gray: np.ndarray, dpi: int, two_up: bool = False, min_pt: float = 14.0) -> list[Rule]:
    """The page's ruling lines: `find_rules`, with a 2-up print's thin lines (`two_up`),
    or with grey ones where those draw clearly more ruling than the dark ones alone (a
    table ruled in 0.5 pt grey, perhaps inside a dark frame; thin black rules a scan
    leaves at 160, dark in pieces), and the rules one cell long (`separators`)."""
    if two_up:
        return find_rules(gray, dpi, min_pt, faint=THIN_LINES)
    k, lines_h, lines_v = _dark_lines(gray, dpi, min_pt)
    rules = _rules_of(lines_h, lines_v, k, dpi)
    faint_h, faint_v = _faint_lines(gray, dpi, k, GREY_LINES)
    grey = _rules_of(lines_h | faint_h, lines_v | faint_v, k, dpi)
    rules = grey if _drawn(grey) >= GREY_GAIN * _drawn(rules) + 100 else rules
    return rules + separators(gray, dpi, rules)


def separators(gray: np.ndarray, dpi: int, rules: list[Rule]) -> list[Rule]:
    """Rules one cell long that the line finder cannot tell from a character's stroke:
    shorter than its faint window, and too thin to be dark (a header's 0.3 pt rule between
    科目编码 and 科目名称 comes out of a scan at 175; so do the rules between the rows of
    one column of a 绩效 table). Column rules one row high between two long row rules
    (`_between`), and row rules one column wide between two long column rules."""
    def flip(r: Rule) -> Rule:
        return Rule(r.y0, r.x0, r.y1, r.x1)

    columns = _between(gray, dpi, rules)
    rows = _between(np.ascontiguousarray(gray.T), dpi, [flip(r) for r in rules])
    return columns + [flip(r) for r in rows]


def _between(gray: np.ndarray, dpi: int, rules: list[Rule], long_pt: float = 40.0,
             cover: float = 0.9) -> list[Rule]:
    """The column rules of `separators`: between two long horizontal rules, a column of
    pixels darker than the paper and than the pixels 1 pt to both its sides over `cover`
    of the row's height; or, by half as much, than the pixels 2 pt to its sides, where it
    goes on a rule of the row above or below, or a piece of it was found (a grey rule
    blurred wide). No character's stroke runs from one rule to the next,
    and a watermark's broad stroke across a row is neither sharp nor in line with a rule."""
    scale = dpi / 72.0
    at: list[list[float]] = []  # long horizontal lines: [y, x0, x1], pieces of one line joined
    for r in sorted((r for r in rules if r.horizontal and r.x1 - r.x0 >= long_pt), key=lambda r: r.y0):
        if at and r.y0 - at[-1][0] <= 2.0:
            at[-1][1], at[-1][2] = min(at[-1][1], r.x0), max(at[-1][2], r.x1)
        else:
            at.append([r.y0, r.x0, r.x1])
    if len(at) < 2:
        return []
    paper = float(np.percentile(gray[::4, ::4], 60))
    below, step = GREY_LINES
    near, far = max(2, round(scale)), max(3, round(2 * scale))  # 1 pt and 2 pt
    verticals = [r for r in rules if not r.horizontal]
    out: list[Rule] = []
    for (ya, ax0, ax1), (yb, bx0, bx1) in zip(at, at[1:]):
        x0, x1 = max(ax0, bx0), min(ax1, bx1)
        if yb - ya < 6.0 or x1 - x0 < 20.0:
            continue
        r0, r1 = int(ya * scale) + 3, int(yb * scale) - 2
        c0, c1 = max(far, int((x0 - 2) * scale)), min(gray.shape[1] - far, int((x1 + 2) * scale))  # a rule at the end
        if r1 - r0 < 6 or c1 - c0 < 2 * far:
            continue
        band = gray[r0:r1, c0 - far : c1 + far].astype(np.int16)
        mid = band[:, far:-far]
        dark = mid < paper - below

        def thin(d: int, by: int) -> np.ndarray:
            left, right = band[:, far - d : far - d + mid.shape[1]], band[:, far + d : far + d + mid.shape[1]]
            return ((dark & (left - mid >= by) & (right - mid >= by)).mean(axis=0) >= cover)

        sharp, soft = thin(near, step), thin(far, step // 2)
        for a, b in flag_runs(sharp | soft):
            x = (c0 + (a + b) / 2) / scale
            if any(abs(v.x0 - x) <= 2.0 and v.y0 <= ya + 2 and v.y1 >= yb - 2 for v in verticals):
                continue
            # a line blurred wider than 1 pt counts where a piece of it was found, or it goes on one
            if not sharp[a:b].any() and not any(abs(v.x0 - x) <= 2.0 and v.y1 >= ya - 3 and v.y0 <= yb + 3
                                               for v in verticals):
                continue
            out.append(Rule(x, ya, x, yb))
    return out


def _drawn(rules: list[Rule], near: float = 2.0, least: float = 80.0) -> float:
    """How much ruling the rules draw, in points: the length of the union of those `least`
    long or longer (not a character's stroke, nor a line a scan left in pieces), a line found
    on several pixel rows counted once."""
    total = 0.0
    for horizontal in (True, False):
        spans = sorted(((r.y0, r.x0, r.x1) if horizontal else (r.x0, r.y0, r.y1)) for r in rules
                       if r.horizontal == horizontal and max(r.x1 - r.x0, r.y1 - r.y0) >= least)
        lines: list[list[tuple[float, float]]] = []
        last = None
        for at, lo, hi in spans:
            if last is None or at - last > near:
                lines.append([])
            lines[-1].append((lo, hi))
            last = at
        for pieces in lines:
            end = -1e9
            for lo, hi in sorted(pieces):
                if hi > end:
                    total += hi - max(lo, end)
                    end = hi
    return total


def in_lattice(rules: list[Rule], long_pt: float = 40.0, near: float = 2.0) -> list[Rule]:
    """The rules of tables: long ones, short ones that meet a long one across, and the
    pieces of a faded rule (three or more on one line, spread over three long lengths).
    The strokes of big print (a title's 一, a header's 十 at 20 pt) are as straight and as
    long as a row's rule, but they stand alone: kept, they would cut words into characters."""
    def length(r: Rule) -> float:
        return max(r.x1 - r.x0, r.y1 - r.y0)

    def along(r: Rule) -> tuple[float, float, float]:  # (position across, start, end)
        return (r.y0, r.x0, r.x1) if r.horizontal else (r.x0, r.y0, r.y1)

    long_ = [r for r in rules if length(r) >= long_pt]
    across = {True: [r for r in long_ if not r.horizontal], False: [r for r in long_ if r.horizontal]}

    def meets(r: Rule, q: Rule) -> bool:
        h, v = (r, q) if r.horizontal else (q, r)
        return h.x0 - near <= v.x0 <= h.x1 + near and v.y0 - near <= h.y0 <= v.y1 + near

    def pieces(r: Rule) -> bool:
        at, _, _ = along(r)
        line = [along(q) for q in rules if q.horizontal == r.horizontal and abs(along(q)[0] - at) <= near]
        return len(line) >= 3 and max(e for _, _, e in line) - min(s for _, s, _ in line) >= 3 * long_pt

    return [r for r in rules
            if length(r) >= long_pt or any(meets(r, q) for q in across[r.horizontal]) or pieces(r)]


def text_lines(gray: np.ndarray, dpi: int, n: int = 4, max_len: int = 12) -> list[PxBox]:
    """Boxes (pixels) of up to n of the page's longest text lines, one line each: rows of
    text ink (rules removed) cut where a gap wider than the line is tall, at most `max_len`
    line heights long. The lines an upside-down check reads."""
    text, f, ppt = _text_mask(gray, dpi)
    rows = text.sum(axis=1) >= 1
    found: list[tuple[int, PxBox]] = []
    for y0, y1 in flag_runs(rows):
        hgt = y1 - y0
        if not 5 * ppt <= hgt <= 24 * ppt:  # 5-24 pt: body text, not a rule's remains or a big title
            continue
        band = _close_rows(text[y0:y1].any(axis=0)[None, :], hgt)[0]
        for x0, x1 in flag_runs(band):
            if x1 - x0 >= 3 * hgt:
                x1 = min(x1, x0 + max_len * hgt)
                pad = max(1, hgt // 4)
                box = ((x0 - pad) * f, (y0 - pad) * f, (x1 + pad) * f, (y1 + pad) * f)
                found.append((x1 - x0, box))
    found.sort(key=lambda t: -t[0])
    h, w = gray.shape
    return [(max(0, x0), max(0, y0), min(w, x1), min(h, y1)) for _, (x0, y0, x1, y1) in found[:n]]


def flag_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of every run of True, end exclusive."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    diff = np.diff(padded)
    return list(zip(np.flatnonzero(diff == 1).tolist(), np.flatnonzero(diff == -1).tolist()))


def two_up_split(gray: np.ndarray, dpi: int, min_gutter_pt: float = 12.0) -> int | None:
    """Where a landscape sheet that prints two pages side by side (a 2-up print, a book
    spread) divides, in pixels; None for a single page.

    A sheet clearly wider than tall, ink on its left half, and a blank gutter (columns
    with next to no ink, `min_gutter_pt` wide or more) across the middle fifth: a
    title or a table running over the middle rules it out, and so does a rule running
    across the gutter (a table ruled in faint grey, whose figures leave a column blank;
    a short table at the top of a blank sheet). The split is the gutter's middle."""
    h, w = gray.shape
    if w < 1.2 * h:
        return None
    f = max(1, round(dpi / 72))
    pooled = _min_pool(gray, f)
    dark = pooled < 128
    ink = pooled < float(np.percentile(pooled[::4, ::4], 60)) - GREY_LINES[0]  # faint grey too
    hs, ws = dark.shape
    counts = dark.sum(axis=0)
    blank = (counts <= max(2, int(0.01 * hs))) & (ink.sum(axis=0) <= max(4, int(0.02 * hs)))  # dust, noise
    lo, hi = int(0.4 * ws), int(0.6 * ws)
    best: tuple[int, int] | None = None
    for x0, x1 in flag_runs(blank):
        if not (x1 > lo and x0 < hi and x1 - x0 >= min_gutter_pt * dpi / 72 / f):
            continue
        if (ink[:, x0:x1].mean(axis=1) >= 0.8).any():  # a rule runs across it: one table, not a gutter
            continue
        if best is None or x1 - x0 > best[1] - best[0]:
            best = (x0, x1)
    if best is None or counts[: best[0]].sum() < 50:
        return None
    return (best[0] + best[1]) // 2 * f
