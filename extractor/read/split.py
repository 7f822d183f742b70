"""Words that run across a vertical ruling line are two cells' texts: split them.

PyMuPDF joins adjacent cells' text into one word when nothing separates them
("一般公共预算政府性基金预算"), text too long for its cell runs on under the next one,
and OCR lines can bridge a rule ("1,935.36一、基本支出").
"""

from __future__ import annotations

from collections.abc import Callable

from extractor.read.page import Rule, Word


def _char_weight(ch: str) -> float:
    """Rough advance of a character in ems: CJK and full-width ones are twice ASCII."""
    return 1.0 if ord(ch) > 0x2E7F else 0.55


def split_at_rules(
    words: list[Word], rules: list[Rule], margin: float = 2.0,
    edges: Callable[[Word], list[float] | None] | None = None,
) -> list[Word]:
    """Words that run across a vertical rule become one word per cell.

    `edges(word)`, where the text layer gives them, are the characters' left edges and the
    last one's right edge: a character that starts left of the rule stays left (text too
    long for its cell runs on under the next one: "一般性支出情况", 宁德 p1). Otherwise
    (OCR lines that bridge a rule, "1,935.36一、基本支出") the split point is estimated
    from character advances (CJK full width, ASCII half), at the nearest character edge.
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
        printed = edges(w) if edges is not None and not w.ocr else None
        if printed is not None and len(printed) == len(w.text) + 1:
            xs = printed
        else:
            printed = None
            weights = [_char_weight(c) for c in w.text]
            scale = (w.x1 - w.x0) / sum(weights)
            xs = [w.x0]
            for wt in weights:
                xs.append(xs[-1] + wt * scale)  # xs[i] = left edge of char i
        pieces: list[tuple[int, int]] = []
        start = 0
        for cut in cuts:
            if printed is not None:
                end = next((i for i in range(start + 1, len(w.text) + 1) if xs[i] >= cut - 0.5), len(w.text))
            else:
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
