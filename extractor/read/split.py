"""Words that run across a vertical ruling line are two cells' texts: split them.

PyMuPDF joins adjacent cells' text into one word when nothing separates them
("一般公共预算政府性基金预算"), and OCR lines can bridge a rule ("1,935.36一、基本支出").
"""

from __future__ import annotations

from extractor.read.page import Rule, Word


def _char_weight(ch: str) -> float:
    """Rough advance of a character in ems: CJK and full-width ones are twice ASCII."""
    return 1.0 if ord(ch) > 0x2E7F else 0.55


def split_at_rules(words: list[Word], rules: list[Rule], margin: float = 2.0) -> list[Word]:
    """OCR text lines that run across a vertical rule become one word per cell.

    The detector sometimes bridges a ruling line ("1,935.36一、基本支出"); the split
    point is estimated from character advances (CJK full width, ASCII half).
    """
    verticals = [r for r in rules if not r.horizontal]
    out: list[Word] = []
    for w in words:
        cuts = sorted(
            r.x0 for r in verticals
            if w.x0 + margin < r.x0 < w.x1 - margin and r.y0 <= w.cy <= r.y1
        )
        if not cuts or len(w.text) < 2:
            out.append(w)
            continue
        weights = [_char_weight(c) for c in w.text]
        scale = (w.x1 - w.x0) / sum(weights)
        xs = [w.x0]
        for wt in weights:
            xs.append(xs[-1] + wt * scale)  # xs[i] = left edge of char i
        pieces: list[tuple[int, int]] = []
        start = 0
        for cut in cuts:
            end = min(range(start, len(w.text) + 1), key=lambda i: abs(xs[i] - cut))
            if end > start:
                pieces.append((start, end))
                start = end
        pieces.append((start, len(w.text)))
        for a, b in pieces:
            text = w.text[a:b].strip()
            if text:
                out.append(Word(text, xs[a], w.y0, xs[b], w.y1, ocr=w.ocr, conf=w.conf))
    return out
