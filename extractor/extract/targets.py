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


_ANY_OP = "|".join(re.escape(o) for o in _OPS if o != "定性")
_ONE_NUMBER = re.compile(r"(?P<op>" + _ANY_OP + r")?(?P<num>\d+(?:\.\d+)?)(?P<unit>\D*)$")
_REMARK = re.compile(r"[(（].*$")
_TAIL_REMARK = re.compile(r"[(（][^()（）]*[)）]$")


def _unit(rest: str) -> str | None:
    """The unit printed after a number, without a remark after it: `项（2项基础服务）` → 项,
    `个不同的治理服务场景` → 个 (a unit is a few characters; a longer tail is a remark)."""
    u = _REMARK.sub("", rest).strip("。;；,，")
    if len(u) > 4 and "/" not in u:  # 元/人/天 and 万元/分钟 are units; 个不同的… is a remark
        u = u[0]
    return u or None


def loose_target(text: str | None) -> Target:
    """A target written in a sentence (`每年≥20场`, `入库专家数不少于600个`, `每季度100%`): with
    exactly one number in it, the words before the operator or number qualify it and are
    dropped; with none or several (`一级事件≤1小时;二级事件≤2小时`) the text stays whole as
    the value. A leading operator before words stays (`≤《…收费标准》建议律师费`)."""
    if text is None:
        return Target(None, None, None)
    t = re.sub(r"\s+", "", fold_fullwidth(text)).rstrip("。;；.")
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    if not t:
        return Target(None, None, None)
    core = _TAIL_REMARK.sub("", t)  # `2项（2项基础服务）`: a remark in brackets after the target
    if core and len(re.findall(r"\d+(?:\.\d+)?", core)) == 1:
        t = core
    numbers = re.findall(r"\d+(?:\.\d+)?", t)
    if _OP_PREFIX.match(t) and len(numbers) != 1:
        got = parse_target(t)
        return got if got.value is None or got.unit is None else Target(got.operator, got.value, _unit(got.unit))
    if len(numbers) != 1:
        return Target(None, t, None)
    m = _ONE_NUMBER.search(t)
    if m is None:
        return Target(None, t, None)
    op = OPERATOR_WORDS[m.group("op")] if m.group("op") else None
    return Target(op, m.group("num"), _unit(m.group("unit")))
