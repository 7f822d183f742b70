"""Scanned pages: skew estimate and ruling lines found in the image.

Pure numpy on a grayscale page image. Lines are found as long runs of dark pixels
(a horizontal or vertical window that is all dark), after the page is deskewed, so
the grid builder treats scanned and digital tables alike.
"""

from __future__ import annotations

import numpy as np

from extractor.read.pdf import Rule


def estimate_skew(gray: np.ndarray, max_deg: float = 2.0, step: float = 0.05) -> float:
    """Skew angle in degrees (counter-clockwise positive) that makes rows straightest.

    Projection profile: the angle whose row sums of dark pixels vary most is the one
    that lines text rows and ruling lines up with the pixel rows.
    """
    small = gray[::4, ::4] < 128
    ys, xs = np.nonzero(small)
    if len(ys) < 50:
        return 0.0
    best, best_score = 0.0, -1.0
    h = small.shape[0]
    for deg in np.arange(-max_deg, max_deg + step / 2, step):
        shift = np.tan(np.radians(deg)) * xs
        rows = np.round(ys + shift).astype(np.int64)
        ok = (rows >= 0) & (rows < h)
        profile = np.bincount(rows[ok], minlength=h).astype(np.float64)
        score = float(np.sum(profile**2))
        if score > best_score:
            best, best_score = float(deg), score
    return best


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
