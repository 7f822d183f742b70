"""Scanned pages: skew estimate and ruling lines found in the image.

Pure numpy on a grayscale page image. Lines are found as long runs of dark pixels
(a horizontal or vertical window that is all dark), after the page is deskewed, so
the grid builder treats scanned and digital tables alike.
"""

from __future__ import annotations

import numpy as np

from extractor.read.page import Rule


def _profile_score(ys: np.ndarray, xs: np.ndarray, h: int, deg: float) -> float:
    rows = np.round(ys + np.tan(np.radians(deg)) * xs).astype(np.int64)
    ok = (rows >= 0) & (rows < h)
    profile = np.bincount(rows[ok], minlength=h).astype(np.float64)
    return float(np.sum(profile**2))


def estimate_skew(gray: np.ndarray, max_deg: float = 2.0) -> float:
    """Skew angle in degrees (counter-clockwise positive, as PIL rotates) of a page image.

    Projection profile: at the right angle, text rows and ruling lines fall on pixel
    rows, so the row sums of dark pixels are most uneven. A coarse pass over ±max_deg,
    then a fine pass around the best.
    """
    small = gray[::2, ::2] < 128
    ys, xs = np.nonzero(small)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 200_000:  # a sample of dark pixels is enough and keeps this fast
        pick = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    h = small.shape[0]
    coarse = max(np.arange(-max_deg, max_deg + 0.05, 0.1), key=lambda d: _profile_score(ys, xs, h, d))
    fine = max(np.arange(coarse - 0.1, coarse + 0.101, 0.01), key=lambda d: _profile_score(ys, xs, h, d))
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


def find_rules(gray: np.ndarray, dpi: int, min_pt: float = 14.0) -> list[Rule]:
    """Ruling segments of a (deskewed) page image, in PDF points."""
    dark = gray < 160
    k = max(8, int(min_pt * dpi / 72))
    scale = 72.0 / dpi
    rules: list[Rule] = []
    for r, s, e in _runs(_line_mask(dark, k), k):
        y = (r + 0.5) * scale
        rules.append(Rule(s * scale, y, e * scale, y))
    for c, s, e in _runs(_line_mask(dark.T, k), k):
        x = (c + 0.5) * scale
        rules.append(Rule(x, s * scale, x, e * scale))
    return rules
