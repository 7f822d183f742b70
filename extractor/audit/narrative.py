"""The 情况说明 against the tables: amounts the prose states, read deterministically into
claims and compared with the cells they name; direction words checked against the figures
they describe. A claim no table cell can be tied to is unchecked, never wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from extractor.audit.models import AuditInput, Claim, Evidence, Finding, TextLine
from extractor.dataset import column_role
from extractor.normalize import UNIT_TO_WAN, normalize_name, to_wan
from extractor.vocabulary import (
    BASE_YEAR,
    BREAKDOWN_PART,
    BREAKDOWN_TOTAL,
    BREAKDOWNS,
    BUDGET_FIGURE,
    CHANGE_PAIR,
    CLAIM_AMOUNT,
    CLAIM_CELLS,
    CLAIM_FILLER,
    CLAIM_GAP,
    CLAIM_NOT,
    CLAIM_NOT_AFTER,
    CLAIM_TOTAL_ROW,
    CLAIMS,
    COMPARE_WORDS,
    COMPLETION_RATE,
    DIRECTION_WORDS,
    FINAL_FIGURE,
    FINAL_VS_BUDGET,
    GROWTH_RATE,
    SELF_CONSISTENT,
    SHARE_OF_TOTAL,
    SHARE_PART,
    STRONG_CLAIMS,
    YEAR,
)

_PAGE_NUMBER = re.compile(r"^[-—–－]?\s*\d{1,3}\s*[-—–－]?$|^第\d+页")
_CLAUSE_END = re.compile(r"[。；;]")
_SENTENCE_END = re.compile(r"[。]")
_FOLLOW_ON = re.compile(r"^[，,、]?(?:支出|实际)?(?P<measure>决算|预算)(?:数)?(?:为|是)?$")
_PRIOR = re.compile(r"上年|去年|上一年|以前年度")
_UNIT_WAN = {**UNIT_TO_WAN, "亿元": Decimal(10000)}  # prose also states 亿元
_SANGONG_PART = re.compile(r"因公出国|公务用车|公务接待|购置|运行|会议|培训")
_SANGONG_TOTAL = re.compile(r"合计|总额|总计|小计")


@dataclass(frozen=True, slots=True)
class Prose:
    """The text outside the tables run together (whitespace and page numbers dropped), with
    each line's span, so a figure found in it can be shown where it is printed."""

    text: str
    spans: tuple[tuple[int, int, TextLine], ...]

    def line_at(self, offset: int) -> TextLine | None:
        for start, end, line in self.spans:
            if start <= offset < end:
                return line
        return None

    def evidence(self, start: int, end: int) -> list[Evidence]:
        out: list[Evidence] = []
        for s, e, line in self.spans:
            if s < end and start < e:
                out.append(Evidence(page=line.page, box=line.box, text=line.text))
        return out


def prose(lines: list[TextLine]) -> Prose:
    parts, spans, at = [], [], 0
    for line in lines:
        text = re.sub(r"\s+", "", line.text)
        if not text or _PAGE_NUMBER.match(text):
            continue
        parts.append(text)
        spans.append((at, at + len(text), line))
        at += len(text)
    return Prose("".join(parts), tuple(spans))


def _pieces(text: str, end: re.Pattern[str]) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in end.finditer(text):
        out.append((start, m.end()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def _wan(amount: str, unit: str) -> Decimal:
    return Decimal(amount.replace(",", "")) * _UNIT_WAN[unit]


def _half_unit_wan(amount: str, unit: str) -> Decimal:
    """What rounding to the printed precision can hide; a printed zero is none at all."""
    if Decimal(amount.replace(",", "")) == 0:
        return Decimal(0)
    places = len(amount.split(".")[1]) if "." in amount else 0
    return Decimal(1).scaleb(-places) / 2 * _UNIT_WAN.get(unit, Decimal(1))


@dataclass(frozen=True, slots=True)
class _Read:
    about: str
    amount: str
    unit: str
    measure: str | None
    start: int  # the amount's offsets in the prose
    end: int
    clause: tuple[int, int]
    other_year: bool  # the clause speaks of another year (or 上年) before the figure


_FUND_BUDGET = re.compile(r"(?:一般公共|政府性基金|国有资本经营)预算")  # a fund's name, not a measure


def _measure(words: str) -> str | None:
    words = _FUND_BUDGET.sub("", words)
    if "决算" in words:
        return "决算"
    if "预算" in words:
        return "预算"
    return None


def read_claims(p: Prose, year: int | None) -> list[_Read]:
    """Every amount the prose states for a quantity of CLAIMS: the words naming it close
    before the amount, nothing between that makes it a change or a share."""
    found: list[_Read] = []
    subjects = [(about, re.compile(words)) for about, words, _ in CLAIMS]
    for c0, c1 in _pieces(p.text, _CLAUSE_END):
        clause = p.text[c0:c1]
        previous: _Read | None = None
        for m in CLAIM_AMOUNT.finditer(clause):
            best = None
            for about, rx in subjects:
                for s in rx.finditer(clause, 0, m.start()):
                    if best is None or s.end() > best[1].end():
                        best = (about, s)
            read = None
            if best is not None:
                gap = clause[best[1].end():m.start()]
                other = CLAIM_NOT_AFTER.get(best[0])
                if (len(gap) <= CLAIM_GAP and not CLAIM_NOT.search(gap) and CLAIM_FILLER.match(gap)
                        and not (other and other.search(clause[max(0, best[1].start() - CLAIM_GAP): best[1].start()]))):
                    read = (best[0], _measure(best[1].group(0) + gap))
            if read is None and previous is not None:
                follow = _FOLLOW_ON.match(clause[previous.end - c0:m.start()])
                if follow:
                    read = (previous.about, follow.group("measure"))
            if read is None:
                continue
            before = clause[: m.start()]
            years = {int(y) for y in YEAR.findall(before)}
            other = bool(_PRIOR.search(before)) or bool(year and years - {year})
            previous = _Read(read[0], m.group(1).replace(",", ""), m.group(2), read[1],
                             c0 + m.start(), c0 + m.end(), (c0, c1), other)
            found.append(previous)
    return found


@dataclass(frozen=True, slots=True)
class _Cell:
    table: str
    index: int  # the record's index in line_items
    header: str
    value: str | None
    unit: str
    page: int
    label: str


def _roles(kind: str, header: str) -> set[str]:
    """What a column is, for matching a claim: its standard role, its printed header, and
    三公合计 for a 三公 table's total column (合计, 小计, 总额; no part of it named)."""
    role = column_role(header)[0]
    roles = {r for r in (role, normalize_name(header)) if r}
    if kind == "三公经费表" and not _SANGONG_PART.search(header) and (role == "合计" or _SANGONG_TOTAL.search(header)):
        roles.add("三公合计")
    return roles


def _header_measure(header: str) -> str | None:
    last = column_role(header)[1] or header
    return _measure(last)


def cells_for(about: str, measure: str | None, inp: AuditInput) -> list[_Cell]:
    specs = CLAIM_CELLS[about]
    out: list[_Cell] = []
    seen: set[tuple[int, str]] = set()
    default = "决算" if inp.document.doc_type == "部门决算" else "预算"  # what a column without a measure holds
    for i, item in enumerate(inp.line_items):
        for kind, row, col in specs:
            if kind and item.table != kind:
                continue
            if row and not re.search(row, normalize_name(item.name)):
                continue
            if row == CLAIM_TOTAL_ROW and item.code:
                continue  # a total row has no subject code
            for header, value in item.values.items():
                if col and not any(re.search(col, r) for r in _roles(item.table, header)):
                    continue
                hm = _header_measure(header) or default
                if (measure and hm and hm != measure) or (i, header) in seen:
                    continue
                seen.add((i, header))
                out.append(_Cell(item.table, i, header, value, item.unit, item.page,
                                 f"{item.table} p{item.page} {item.name or '(row)'} / {header}"))
    return out


def _status(read: _Read, cells: list[_Cell]) -> tuple[str, bool]:
    """(agrees | contradicts | blank | unchecked, whether the figure matches only ×/÷ 10000)."""
    claimed = _wan(read.amount, read.unit)
    tol = _half_unit_wan(read.amount, read.unit)
    if not cells:
        return "unchecked", False
    scaled = False
    for cell in cells:
        if cell.value is None:
            if claimed == 0:
                return "agrees", False
            continue
        have = to_wan(cell.value, cell.unit)
        if have is None:
            continue
        if abs(have - claimed) <= tol + _half_unit_wan(cell.value, cell.unit):
            return "agrees", False
        if have != 0 and (abs(have * 10000 - claimed) <= tol or abs(have / 10000 - claimed) <= tol):
            scaled = True
    if all(c.value is None for c in cells):
        return "blank", False
    return "contradicts", scaled


def _fmt(v: Decimal) -> str:
    return f"{v.normalize():f}"


def check_claims(inp: AuditInput, p: Prose) -> tuple[list[Claim], list[Finding]]:
    year = inp.document.year
    claims: list[Claim] = []
    findings: list[Finding] = []
    empty_kinds = {t.kind for t in inp.tables if t.empty}
    reads = read_claims(p, year)
    for read in reads:
        clause = p.text[read.clause[0]:read.clause[1]]
        evidence = p.evidence(read.start, read.end)
        line = evidence[0] if evidence else None
        if read.other_year:
            status, cells, scaled = "unchecked", [], False
        else:
            cells = cells_for(read.about, read.measure, inp)
            status, scaled = _status(read, cells)
        claimed = _wan(read.amount, read.unit)
        specs = CLAIM_CELLS[read.about]
        if status == "unchecked" and not read.other_year and any(k in empty_kinds for k, _, _ in specs if k):
            status = "agrees" if claimed == 0 else "blank"  # its table is printed empty: every figure 0
        claims.append(Claim(about=read.about, amount=read.amount, unit=read.unit, measure=read.measure,
                            page=line.page if line else 0, box=line.box if line else None, text=clause,
                            status=status, cells=[c.label for c in cells]))  # type: ignore[arg-type]
        pages = sorted({e.page for e in evidence} | {c.page for c in cells})
        tables = sorted({c.table for c in cells})
        shown = "; ".join(f"{c.label} = {c.value if c.value is not None else 'blank'} {c.unit}" for c in cells[:4])
        if status == "contradicts":
            values = {to_wan(c.value, c.unit) for c in cells if c.value is not None}
            strong = read.about in STRONG_CLAIMS and len(values) == 1 and not scaled
            kind = "unit_mismatch" if scaled else "narrative_mismatch"
            msg = (f"the narrative states {read.about} {read.amount}{read.unit}; the tables print {shown}"
                   + (" (the same figure ×/÷ 10000: a unit slip)" if scaled else ""))
            findings.append(Finding(kind=kind, severity="error" if strong else "warning", message=msg,
                                    pages=pages, tables=tables, evidence=evidence))
        elif status == "blank":
            where = shown or "its table is printed empty"
            findings.append(Finding(kind="narrative_blank", severity="warning",
                                    message=f"the narrative states {read.about} {read.amount}{read.unit}, "
                                            f"where the table is blank ({where})",
                                    pages=pages, tables=tables or [k for k, _, _ in specs if k][:1],
                                    evidence=evidence, fix=_fix(read, cells, inp)))
    findings += _restated(reads, p)
    unchecked = [c for c in claims if c.status == "unchecked"]
    if unchecked:
        findings.append(Finding(
            kind="narrative_unchecked", severity="info",
            message=f"{len(unchecked)} narrative figure(s) could not be tied to a table cell: "
                    + "; ".join(f"{c.about} {c.amount}{c.unit} (p{c.page})" for c in unchecked[:8]),
            pages=sorted({c.page for c in unchecked if c.page})))
    return claims, findings


def _restated(reads: list[_Read], p: Prose) -> list[Finding]:
    """The same quantity (of one scope: SELF_CONSISTENT) stated twice for this year with
    figures that differ beyond their rounding."""
    groups: dict[tuple[str, str | None], list[_Read]] = {}
    for r in reads:
        if r.about in SELF_CONSISTENT and not r.other_year:
            groups.setdefault((r.about, r.measure), []).append(r)
    findings = []
    for (about, _), group in groups.items():
        first = group[0]
        for other in group[1:]:
            gap = abs(_wan(first.amount, first.unit) - _wan(other.amount, other.unit))
            if gap > _half_unit_wan(first.amount, first.unit) + _half_unit_wan(other.amount, other.unit):
                ev = p.evidence(first.start, first.end) + p.evidence(other.start, other.end)
                findings.append(Finding(kind="narrative_mismatch", severity="warning",
                                        message=f"the narrative states {about} as {first.amount}{first.unit} and as "
                                                f"{other.amount}{other.unit}",
                                        pages=sorted({e.page for e in ev}), evidence=ev))
                break
    return findings


def _fix(read: _Read, cells: list[_Cell], inp: AuditInput) -> str | None:
    """A blank cell the narrative fills, when a failing identity holds with that figure."""
    claimed = _wan(read.amount, read.unit)
    for cell in cells:
        if cell.value is not None:
            continue
        field = f"values.{cell.header}"
        for ident in inp.identities:
            if ident.holds or ident.difference is None:
                continue
            for fig in ident.figures:
                if fig.ref and fig.ref.collection == "line_items" and fig.ref.index == cell.index \
                        and fig.ref.field == field:
                    gap = -ident.difference if fig.side == "rhs" else ident.difference
                    if abs(gap + claimed) <= _half_unit_wan(read.amount, read.unit) * 2 or abs(gap - claimed) <= \
                            _half_unit_wan(read.amount, read.unit) * 2:
                        return (f"fill {cell.label} with {read.amount} ({read.unit}): {ident.description} "
                                "then holds")
    return None


def _stated_pair(text: str, offset: int) -> tuple[Decimal, Decimal, int, str] | None:
    """The last 预算 and 决算 figures a sentence states: (budget, final, where, shown)."""
    budgets, finals = list(BUDGET_FIGURE.finditer(text)), list(FINAL_FIGURE.finditer(text))
    if not budgets or not finals:
        return None
    b, f = budgets[-1], finals[-1]
    return (_wan(b.group("amount"), b.group("unit")), _wan(f.group("amount"), f.group("unit")),
            offset + min(b.start(), f.start()),
            f"it states 预算 {b.group('amount')}{b.group('unit')} and 决算 {f.group('amount')}{f.group('unit')}")


def _printed_pair(sentence: str, end: int, inp: AuditInput) -> tuple[Decimal, Decimal, str] | None:
    """The 预算 and 决算 cells of the quantity the sentence names before `end` (三公经费…),
    when the tables print exactly one of each."""
    best = None
    for about, words, _ in CLAIMS:
        for s in re.finditer(words, sentence[:end]):
            if best is None or s.end() > best[1]:
                best = (about, s.end())
    if best is None:
        return None
    pair = []
    for measure in ("预算", "决算"):
        values = {to_wan(c.value, c.unit) for c in cells_for(best[0], measure, inp)
                  if c.value is not None and _header_measure(c.header) == measure}  # printed measures only
        if len(values) != 1:
            return None
        pair.append(values.pop())
    budget, final = pair
    return budget, final, f"the tables print {best[0]} 预算 {_fmt(budget)} and 决算 {_fmt(final)} 万元"  # type: ignore[arg-type]


def check_directions(inp: AuditInput, p: Prose) -> list[Finding]:
    """增加 … 下降 P% in one clause; 决算数大于预算数 against the two figures it compares;
    a 部门预算 comparing with its own year where 上年 is meant."""
    findings: list[Finding] = []
    for c0, c1 in _pieces(p.text, _CLAUSE_END):
        clause = p.text[c0:c1]
        for m in CHANGE_PAIR.finditer(clause):
            s1, s2 = DIRECTION_WORDS[m.group("w1")], DIRECTION_WORDS[m.group("w2")]
            if s1 != s2 and Decimal(m.group("pct")) != 0 and Decimal(m.group("amount").replace(",", "")) != 0:
                ev = p.evidence(c0 + m.start(), c0 + m.end())
                findings.append(Finding(
                    kind="narrative_direction", severity="error",
                    message=f"'{m.group(0)}': {m.group('w1')} and {m.group('w2')} describe the same change",
                    pages=sorted({e.page for e in ev}), evidence=ev))
    sentences = _pieces(p.text, _SENTENCE_END)
    for n, (s0, s1) in enumerate(sentences):
        sentence = p.text[s0:s1]
        for m in FINAL_VS_BUDGET.finditer(sentence):
            said = COMPARE_WORDS[m.group("word")]
            stated = _stated_pair(sentence[: m.start()], s0)
            if stated is None and n > 0:  # "…年初预算为X万元，支出决算为Y万元。决算数小于预算数的主要原因…"
                stated = _stated_pair(p.text[sentences[n - 1][0]:s0], sentences[n - 1][0])
            if stated is not None:
                budget, final, at, shown = stated
            else:
                printed = _printed_pair(sentence, m.start(), inp)
                if printed is None:
                    continue
                budget, final, shown = printed
                at = s0 + m.start()
            sign = (final > budget) - (final < budget)
            if sign != said:
                ev = p.evidence(min(at, s0 + m.start()), s0 + m.end())
                findings.append(Finding(kind="narrative_direction", severity="error",
                                        message=f"'{m.group(0)}', but {shown}",
                                        pages=sorted({e.page for e in ev}), evidence=ev))
    year = inp.document.year
    if year and inp.document.doc_type in ("部门预算", "单位预算"):
        same = [m for m in BASE_YEAR.finditer(p.text) if int(m.group(1)) == year]
        if same:
            ev = [e for m in same for e in p.evidence(m.start(), m.end())]
            findings.append(Finding(
                kind="year_mismatch", severity="warning",
                message=f"the narrative compares the {year} budget with {year} itself "
                        f"({len(same)}×: {', '.join(sorted({m.group(0) for m in same}))}); 上年 is {year - 1}",
                pages=sorted({e.page for e in ev}), evidence=ev))
    return findings


def _rate_off(part: Decimal, base: Decimal, pct: str) -> Decimal | None:
    """How far a printed percentage is from part / base, beyond its own rounding; None if
    within it (or the base is zero)."""
    if base == 0:
        return None
    have = part / base * 100
    stated = Decimal(pct)
    off = abs(have - stated)
    tol = _half_unit_wan(pct, "万元") + abs(stated) * Decimal("0.001")
    return off if off > tol else None


def check_rates(p: Prose) -> list[Finding]:
    """Percentages the prose prints beside the figures they follow from: 完成年初预算的P%,
    其中 X…占P% of the total before 其中, 增加 D…增长P% of the figure before the comparison."""
    findings: list[Finding] = []

    def flag(start: int, end: int, what: str) -> None:
        ev = p.evidence(start, end)
        findings.append(Finding(kind="narrative_mismatch", severity="warning", message=what,
                                pages=sorted({e.page for e in ev}), evidence=ev))

    for c0, c1 in _pieces(p.text, _CLAUSE_END):
        clause = p.text[c0:c1]
        for m in COMPLETION_RATE.finditer(clause):
            budget, final = _wan(m.group("budget"), m.group("bu")), _wan(m.group("final"), m.group("fu"))
            off = _rate_off(final, budget, m.group("pct"))
            if off is not None:
                flag(c0 + m.start(), c0 + m.end(), f"'{m.group(0)}': {m.group('final')} / {m.group('budget')} is "
                                                   f"{_fmt((final / budget * 100).quantize(Decimal('0.01')))}%, "
                                                   f"not {m.group('pct')}%")
        for m in GROWTH_RATE.finditer(clause):
            delta = _wan(m.group("delta"), m.group("du"))
            sign = DIRECTION_WORDS[m.group("w1")]
            if sign != DIRECTION_WORDS[m.group("w2")] or delta == 0:
                continue  # a direction finding, or nothing to divide
            # the figure that changed is one of those the clause states before 比 (often not the nearest:
            # "总计X万元，其中：本年Y万元，上年结转Z万元，比上年减少D万元，下降P%")
            bases = [_wan(a.group(1), a.group(2)) - sign * delta for a in CLAIM_AMOUNT.finditer(clause[: m.start()])]
            bases = [b for b in bases if b > 0]
            if bases and all(_rate_off(delta, b, m.group("pct")) is not None for b in bases):
                shown = ", ".join(_fmt((delta / b * 100).quantize(Decimal("0.01"))) + "%" for b in bases[-3:])
                flag(c0 + m.start(), c0 + m.end(), f"'{m.group(0)}': {m.group('delta')} of none of the figures "
                                                   f"before it gives {m.group('pct')}% ({shown})")
    for s0, s1 in _pieces(p.text, _SENTENCE_END):
        sentence = p.text[s0:s1]
        total_m = SHARE_OF_TOTAL.search(sentence)
        if total_m is None:
            continue
        total = _wan(total_m.group("total"), total_m.group("tu"))
        for m in SHARE_PART.finditer(sentence, total_m.end()):
            part = _wan(m.group("amount"), m.group("unit"))
            off = _rate_off(part, total, m.group("pct"))
            if off is not None:
                flag(s0 + m.start(), s0 + m.end(), f"'{m.group(0)}': {m.group('amount')} of {total_m.group('total')} "
                                                   f"is {_fmt((part / total * 100).quantize(Decimal('0.01')))}%, "
                                                   f"not {m.group('pct')}%")
    return findings


_PARENS = re.compile(r"[（(][^（()）]*[)）]")


def check_breakdowns(p: Prose) -> list[Finding]:
    """A total the prose breaks down into a complete set of parts (货物/工程/服务, 基本支出/
    项目支出 …) right after 其中: the parts add up to it, within the rounding of each figure."""
    findings: list[Finding] = []
    for m in BREAKDOWN_TOTAL.finditer(p.text):
        end = p.text.find("。", m.end())
        tail = _PARENS.sub(lambda x: "\0" * len(x.group(0)), p.text[m.end(): end if end >= 0 else len(p.text)])
        parts = []
        for item in re.split(r"[、，；;]|(?<!\d),|,(?!\d)", tail):
            part = BREAKDOWN_PART.match(item.replace("\0", ""))
            if part is None:
                break
            parts.append(part)
        if len(parts) < 2:
            continue
        labels = [x.group("label") for x in parts]
        complete = next((names for names in BREAKDOWNS if len(names) == len(parts)
                         and sorted(next((n for n in names if n in label), "") for label in labels) == sorted(names)), None)
        if complete is None:
            continue
        total = _wan(m.group("total"), m.group("tu"))
        summed = sum((_wan(x.group("amount"), x.group("unit")) for x in parts), Decimal(0))
        tol = _half_unit_wan(m.group("total"), m.group("tu")) + sum(
            (_half_unit_wan(x.group("amount"), x.group("unit")) for x in parts), Decimal(0))
        if abs(summed - total) > tol:
            stop = m.end() + sum(len(x.group(0)) for x in parts) + len(parts)
            ev = p.evidence(m.start(), stop)
            shown = " + ".join(f"{x.group('label')}{x.group('amount')}" for x in parts)
            findings.append(Finding(kind="narrative_mismatch", severity="warning",
                                    message=f"the narrative's {'/'.join(complete)} add up to {_fmt(summed)} 万元 "
                                            f"({shown}), not the total it states, {m.group('total')}{m.group('tu')}",
                                    pages=sorted({e.page for e in ev}), evidence=ev))
    return findings
