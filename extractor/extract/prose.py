"""The prose reader: indicator sections written as numbered text, read deterministically.

    一、产出指标 (一) 数量指标 1. 村(社区)人民调解员542人。 (二) 质量指标 1. 调解成功率≥96人。 …
    三、满意度指标：人民调解员满意度≥85%。

Headings give 一级/二级; numbered items (`1.` `2、` `1:`) and `；` split indicators; an
item ending in a number (with its operator and a short unit) is split into name,
operator, value and unit, exactly as printed. Prose without this structure is left to
the model. Pure: text in, records out.
"""

from __future__ import annotations

import re

from extractor.chunk import Chunk
from extractor.normalize import normalize_name
from extractor.records import CellSource, Indicator, Provenance
from extractor.extract.targets import loose_target
from extractor.vocabulary import OPERATOR_WORDS, RECORD_TARGET_LABELS, TRAILING_BOUNDS

_CJK = "\u4e00-\u9fff"
_NUM = "一二三四五六七八九十"
LEVEL1 = re.compile(rf"([{_NUM}])\s*、\s*(产出|效益|满意度|成本)\s*指\s*标\s*[:：]?")
LEVEL2 = re.compile(rf"[(（]\s*([{_NUM}])\s*[)）]\s*([^\s()（）:：;；。,，]{{1,12}}?指标)\s*[:：]?")
# Item markers: "2、" anywhere; "1." "1..." "1:" where no decimal can be meant (a space, a
# non-digit or a year follows; no digit or point before).
MARKER = re.compile(r"(?<![\d.．])\d{1,2}(?:、|[.．:：]+(?=\s|[^\d\s]|\d{4}年))")
_GOAL_PREFIX = re.compile(rf"^目标[{_NUM}]+(?:[:：]|$)")
_BARE_FIRST = re.compile(rf"^1(?=[{_CJK}])(?![名个次人件本年月日天项])")
_DATE_RANGE = re.compile(r"\d{4}年\d{1,2}月(\d{1,2}日)?\s*[-—~至到]")
_OPS = sorted(OPERATOR_WORDS, key=len, reverse=True)
# name, operator, number, unit (short, no digits, no brackets) at the end of an item.
_TARGET = re.compile(
    r"^(?P<name>.*?)(?P<op>" + "|".join(re.escape(o) for o in _OPS if o != "定性") + r")?"
    r"(?P<num>\d+(?:\.\d+)?)(?P<unit>[^\d()（）,，;；。:：]{0,4})$"
)
_TRIM = " \t:：;；,，。、"
_BOUND = re.compile("(" + "|".join(TRAILING_BOUNDS) + ")$")


def _squeeze(text: str) -> str:
    """Line wraps inside words go; a space after a marker ("2. 1次") stays."""
    t = re.sub(r"\s+", " ", text)
    return re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", t)


def sections(text: str) -> list[tuple[str, str | None, str]] | None:
    """(level1, level2, content) of every non-empty section in printed order; None when no
    一级 heading is found."""
    t = _squeeze(text)
    heads = sorted(
        [(m.start(), m.end(), "1", m.group(2) + "指标") for m in LEVEL1.finditer(t)]
        + [(m.start(), m.end(), "2", normalize_name(m.group(2))) for m in LEVEL2.finditer(t)]
    )
    if not any(h[2] == "1" for h in heads):
        return None
    out: list[tuple[str, str | None, str]] = []
    level1: str | None = None
    level2: str | None = None
    for i, (start, end, kind, name) in enumerate(heads):
        if kind == "1":
            level1, level2 = name, None
        else:
            level2 = name
        stop = heads[i + 1][0] if i + 1 < len(heads) else len(t)
        if level1 is not None and t[end:stop].strip(_TRIM):
            out.append((level1, level2, t[end:stop]))
    return out


def items(content: str) -> list[str]:
    """The indicators of one section's text: split at item markers and at ；."""
    pieces: list[str] = []
    last = 0
    for m in MARKER.finditer(content):
        pieces.append(content[last:m.start()])
        last = m.end()
    pieces.append(content[last:])
    out = []
    for i, piece in enumerate(pieces):
        for part in re.split(r"[;；]", piece):
            s = normalize_name(part).strip(_TRIM)
            s = _GOAL_PREFIX.sub("", s).strip(_TRIM)
            if i == 0 and len(pieces) == 1:
                s = _BARE_FIRST.sub("", s)  # "1确保…": a marker printed without its point
            if s:
                out.append(s)
    return out


def split_target(item: str) -> tuple[str, str | None, str | None, str | None]:
    """(name, operator, value, unit): the trailing number as printed, the name before it."""
    if _DATE_RANGE.search(item):
        return item, None, None, None
    m = _TARGET.match(item)
    if not m:
        return item, None, None, None
    unit = m.group("unit").strip() or None
    op = OPERATOR_WORDS[m.group("op")] if m.group("op") else None
    if unit and op is None and (bound := _BOUND.search(unit)):  # "95%以上": ≥ 95 %
        op, unit = TRAILING_BOUNDS[bound.group(0)], unit[: bound.start()] or None
    return m.group("name").strip(_TRIM), op, m.group("num"), unit


# "1、1-产出指标；11-数量指标；name；实施周期指标值:X；年度指标值:Y。" (text normalised: ；→;)
_RECORD_START = re.compile(r"(?<![\d.])\d{1,3}、(?=\d{1,3}-[^;]{2,12};)")
_CODED = re.compile(r"^\d{1,3}-(.+)$")
_RECORD_LABEL = re.compile("(" + "|".join(map(re.escape, RECORD_TARGET_LABELS)) + ")[:：]")


def coded_records(text: str) -> list[tuple[str | None, str | None, str, str | None, str]] | None:
    """(level1, level2, name, target text, item text) of every coded record in a cell
    (广州's `1、1-产出指标；11-数量指标；name；…年度指标值:Y。`); None when it is not one."""
    t = normalize_name(text)
    starts = [m for m in _RECORD_START.finditer(t)]
    if not starts:
        return None
    out = []
    for m, nxt in zip(starts, starts[1:] + [None]):
        item = t[m.end(): nxt.start() if nxt else len(t)].strip(_TRIM)
        labels = list(_RECORD_LABEL.finditer(item))
        head = item[: labels[0].start()] if labels else item
        fields = [f for f in head.split(";") if f]
        levels: list[str] = []
        while fields and len(levels) < 2 and (c := _CODED.match(fields[0])):
            levels.append(c.group(1))
            fields.pop(0)
        if not fields:
            return None
        targets = {lab.group(1): item[lab.end(): (labels[i + 1].start() if i + 1 < len(labels) else len(item))]
                   .strip(_TRIM) for i, lab in enumerate(labels)}
        target = next((targets[k] for k in RECORD_TARGET_LABELS if targets.get(k)), None)
        out.append((levels[0] if levels else None, levels[1] if len(levels) > 1 else None,
                    ";".join(fields).strip(_TRIM), target, item))
    return out


def _read_records(chunk: Chunk, scope: str) -> list[Indicator]:
    found = coded_records(chunk.text)
    if not found:
        return []
    page = chunk.pages[0]
    box = chunk.cells[0].box if chunk.cells else None
    project = (chunk.context or None) if scope == "项目" else None
    out = []
    for level1, level2, name, target_text, item in found:
        target = loose_target(target_text)
        cells = {f: CellSource(page=page, box=box, text=item)
                 for f, v in (("name", name), ("level1", level1), ("level2", level2), ("operator", target.operator),
                              ("value", target.value), ("unit", target.unit)) if v}
        out.append(Indicator(
            scope=scope, project=project, level1=level1, level2=level2, name=name,  # type: ignore[arg-type]
            operator=target.operator, value=target.value, unit=target.unit,  # type: ignore[arg-type]
            weight=None, direction=None, page=page,
            provenance=Provenance(chunk_id=chunk.id, method="grid", page=page, box=box, cells=cells),
        ))
    return out


def read_prose(chunk: Chunk, scope: str = "项目") -> list[Indicator]:
    """Indicators of a prose chunk; [] when the text has no recognisable structure (numbered
    headings, or coded records)."""
    found = sections(chunk.text)
    if not found:
        return _read_records(chunk, scope)
    page = chunk.pages[0]
    box = chunk.cells[0].box if chunk.cells else None
    project = (chunk.context or None) if scope == "项目" else None
    out = []
    for level1, level2, content in found:
        for item in items(content):
            name, op, value, unit = split_target(item)
            cells = {f: CellSource(page=page, box=box, text=item)
                     for f, v in (("name", name), ("operator", op), ("value", value), ("unit", unit)) if v}
            out.append(Indicator(
                scope=scope, project=project, level1=level1, level2=level2, name=name,  # type: ignore[arg-type]
                operator=op, value=value, unit=unit, weight=None, direction=None,  # type: ignore[arg-type]
                page=page, provenance=Provenance(chunk_id=chunk.id, method="grid", page=page, box=box, cells=cells),
            ))
    return out
