"""Indicator targets: `≥96%` → (≥, "96", "%"); `9000人` → (None, "9000", "人"); `优良差` → text.

Pure parsing; the printed text is the only input, so every value stays grounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.normalize import fold_fullwidth
from extractor.vocabulary import OPERATOR_WORDS

_OPS = sorted(OPERATOR_WORDS, key=len, reverse=True)
_OP_PREFIX = re.compile("^(" + "|".join(re.escape(o) for o in _OPS) + ")")
# A number (thousands separators allowed), or two joined by / (600/1000), then the unit.
_NUMBER = re.compile(r"^(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?)(.*)$")
_DIRECTIONS = {"正向": "正向", "正向指标": "正向", "反向": "反向", "反向指标": "反向"}


@dataclass(frozen=True, slots=True)
class Target:
    operator: str | None
    value: str | None
    unit: str | None


def operator_of(text: str | None) -> str | None:
    """The contract's operator for a printed 指标性质 / symbol cell, or None."""
    if not text:
        return None
    t = re.sub(r"\s+", "", fold_fullwidth(text))
    return OPERATOR_WORDS.get(t)


def direction_of(text: str | None) -> str | None:
    if not text:
        return None
    return _DIRECTIONS.get(re.sub(r"\s+", "", text))


def parse_target(text: str | None) -> Target:
    """Split a printed target into operator, value and unit, without inventing anything."""
    if text is None:
        return Target(None, None, None)
    t = re.sub(r"\s+", "", fold_fullwidth(text)).rstrip("。;；")
    if not t:
        return Target(None, None, None)
    op = None
    m = _OP_PREFIX.match(t)
    if m:
        op = OPERATOR_WORDS[m.group(1)]
        t = t[m.end():]
    n = _NUMBER.match(t)
    if n and not re.match(r"^[到至\-~～]", n.group(2)):
        value = n.group(1).replace(",", "")
        unit = n.group(2) or None
        return Target(op, value, unit)
    return Target(op, t or None, None)
