"""Cell precision / recall / F1 of a run against gold, as records-format.md defines it.

A record's key: line items (table, code or "", name, n), indicators (project or "",
name, n), n counting earlier records with the same key in document order. A cell is
one (key, field) with a non-null value; amounts compare as decimals in 万元.

Cells pair by key, never by position: a missing gold row costs recall on its own cells
only, an extra predicted row costs precision only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from extractor.normalize import normalize_name, to_wan

LINE_ITEM_FIELDS = ("values", "unit")
INDICATOR_FIELDS = ("level1", "level2", "operator", "value", "unit", "weight", "direction")
INDICATOR_TABLE = "指标"  # the table group every indicator cell is reported under

CellKey = tuple[Any, ...]  # (kind, key..., field)

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass
class Tally:
    correct: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: "Tally") -> None:
        self.correct += other.correct
        self.predicted += other.predicted
        self.gold += other.gold

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else (1.0 if not self.predicted else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 6), "recall": round(self.recall, 6), "f1": round(self.f1, 6),
                "correct": self.correct, "predicted": self.predicted, "gold": self.gold}


@dataclass(frozen=True)
class CellResult:
    """One cell of the union of gold and predicted cells, with where the prediction came from."""

    cell: CellKey  # (kind, key..., field): ("line", table, code, name, n, "values.合计")
    table: str  # table kind, or 指标 for indicators
    field: str  # per-field label: "values.<header>", "unit", "indicator.<field>"
    group: str  # coarse field group: values, unit, level1 … (Score.by_field)
    gold: Any  # comparable value, None when gold has no such cell
    pred: Any
    gold_text: str | None  # the values as written in the files
    pred_text: str | None
    page: int | None  # where the prediction (else gold) says the cell is printed
    source: str | None  # the printed text the prediction read, from its provenance

    @property
    def correct(self) -> bool:
        return self.gold is not None and self.pred is not None and self.gold == self.pred

    @property
    def label(self) -> str:
        return cell_label(self.cell)


def cell_label(cell: CellKey) -> str:
    """A cell as people read it: `支出总表 2040601 行政运行 [values.合计]`, `#2` for repeats."""
    if cell[0] == "line":
        _, table, code, name, n, fld = cell
        parts = [table, code, name or '""']
    else:
        _, project, name, n, fld = cell
        parts = [INDICATOR_TABLE, project + " ·" if project else "", name]
    text = " ".join(p for p in parts if p)
    return f"{text}{f' #{n + 1}' if n else ''} [{fld}]"


@dataclass
class Score:
    overall: Tally = field(default_factory=Tally)
    by_table: dict[str, Tally] = field(default_factory=dict)
    by_field: dict[str, Tally] = field(default_factory=dict)  # coarse: values, unit, level1, …
    rows_gold: int = 0
    rows_found: int = 0
    misses: list[tuple[CellKey, Any, Any]] = field(default_factory=list)  # (cell, gold, predicted)
    by_column: dict[str, Tally] = field(default_factory=dict)  # per field: values.<header>, unit, indicator.<f>
    rows_by_table: dict[str, Tally] = field(default_factory=dict)  # gold = gold rows, correct = found
    cells: list[CellResult] = field(default_factory=list)

    @property
    def row_recall(self) -> float:
        return self.rows_found / self.rows_gold if self.rows_gold else 1.0

    def add(self, other: "Score") -> None:
        """Pool another document's counts into this one (micro-averaging)."""
        self.overall.add(other.overall)
        for mine, theirs in ((self.by_table, other.by_table), (self.by_field, other.by_field),
                             (self.by_column, other.by_column), (self.rows_by_table, other.rows_by_table)):
            for k, t in theirs.items():
                mine.setdefault(k, Tally()).add(t)
        self.rows_gold += other.rows_gold
        self.rows_found += other.rows_found
        self.misses.extend(other.misses)
        self.cells.extend(other.cells)


def _keyed(records: Iterable[dict], key_of) -> list[tuple[tuple, dict]]:
    seen: Counter[tuple] = Counter()
    out = []
    for r in records:
        k = key_of(r)
        out.append((k + (seen[k],), r))
        seen[k] += 1
    return out


def _line_key(r: dict) -> tuple:
    return ("line", r["table"], r.get("code") or "", normalize_name(r["name"]))


def _indicator_key(r: dict) -> tuple:
    return ("indicator", normalize_name(r.get("project") or ""), normalize_name(r["name"]))


def _decimal(text: Any) -> Decimal | None:
    s = normalize_name(str(text))
    return Decimal(s) if _DECIMAL.match(s) else None


@dataclass(frozen=True)
class _Cell:
    group: str
    value: Any
    text: str
    page: int | None
    source: str | None


def _where(r: dict, prov_field: str) -> tuple[int | None, str | None]:
    prov = r.get("provenance") or {}
    src = (prov.get("cells") or {}).get(prov_field) or {}
    return src.get("page") or prov.get("page") or r.get("page"), src.get("text")


def _cells(key: tuple, r: dict) -> dict[CellKey, _Cell]:
    """(key, field) → comparable value (and where it was read) for every non-null field."""
    out: dict[CellKey, _Cell] = {}
    if key[0] == "line":
        unit = r.get("unit") or "万元"
        for header, amount in (r.get("values") or {}).items():
            if amount is None:
                continue
            value: Any = None
            if _decimal(amount) is not None:
                try:
                    value = to_wan(normalize_name(str(amount)), unit)
                except ValueError:  # a unit the contract does not know: compare as printed
                    value = None
            if value is None:
                value = normalize_name(str(amount))
            out[key + ("values." + normalize_name(header),)] = _Cell(
                "values", value, str(amount), *_where(r, f"values.{header}"))
        if r.get("unit") is not None:
            out[key + ("unit",)] = _Cell("unit", normalize_name(r["unit"]), r["unit"], *_where(r, "unit"))
        return out
    for name in INDICATOR_FIELDS:
        v = r.get(name)
        if v is None:
            continue
        comparable: Any = _decimal(v) if name in ("value", "weight") else None
        if comparable is None:
            comparable = normalize_name(str(v))
        out[key + (name,)] = _Cell(name, comparable, str(v), *_where(r, name))
    return out


def _scope(doc: dict) -> tuple[set[str] | None, bool]:
    labelled = doc["document"].get("labelled")
    if not labelled:
        return None, True
    return set(labelled.get("tables") or []), bool(labelled.get("indicators"))


def _field_label(cell: CellKey) -> str:
    return cell[-1] if cell[0] == "line" else f"indicator.{cell[-1]}"


def score_document(gold: dict, pred: dict) -> Score:
    """Score one predicted contract document against its gold (both as parsed JSON)."""
    tables, indicators = _scope(gold)

    def wanted_line(r: dict) -> bool:
        return tables is None or r["table"] in tables

    score = Score()
    gold_cells: dict[CellKey, _Cell] = {}
    pred_cells: dict[CellKey, _Cell] = {}
    gold_rows: set[tuple] = set()
    pred_rows: set[tuple] = set()
    for source, cells, rows in ((gold, gold_cells, gold_rows), (pred, pred_cells, pred_rows)):
        for key, r in _keyed((r for r in source.get("line_items") or [] if wanted_line(r)), _line_key):
            cells.update(_cells(key, r))
            rows.add(key)
        if indicators:
            for key, r in _keyed(source.get("indicators") or [], _indicator_key):
                cells.update(_cells(key, r))
                rows.add(key)
    score.rows_gold, score.rows_found = len(gold_rows), len(gold_rows & pred_rows)
    for row in gold_rows:
        t = score.rows_by_table.setdefault(row[1] if row[0] == "line" else INDICATOR_TABLE, Tally())
        t.gold += 1
        t.correct += row in pred_rows

    for cell in sorted(gold_cells.keys() | pred_cells.keys(), key=lambda c: tuple(str(x) for x in c)):
        g, p = gold_cells.get(cell), pred_cells.get(cell)
        either = p or g
        assert either is not None
        result = CellResult(
            cell=cell, table=cell[1] if cell[0] == "line" else INDICATOR_TABLE, field=_field_label(cell),
            group=either.group, gold=g.value if g else None, pred=p.value if p else None,
            gold_text=g.text if g else None, pred_text=p.text if p else None,
            page=p.page if p and p.page else (g.page if g else None), source=p.source if p else None,
        )
        t = Tally(correct=int(result.correct), predicted=int(p is not None), gold=int(g is not None))
        score.overall.add(t)
        score.by_table.setdefault(result.table, Tally()).add(t)
        score.by_field.setdefault(result.group, Tally()).add(t)
        score.by_column.setdefault(result.field, Tally()).add(t)
        score.cells.append(result)
        if not t.correct:
            score.misses.append((cell, result.gold, result.pred))
    return score


def pooled(scores: Iterable[Score]) -> Score:
    """One Score over several documents: counts added, figures recomputed (micro-average)."""
    total = Score()
    for s in scores:
        total.add(s)
    return total


def gold_diff(old: dict | None, new: dict) -> list[tuple[str, str, str | None, str | None]]:
    """Cell by cell, what a new gold file changes in the old one (record key, field, old
    text, new text): added, removed or changed cells, in the new file's order."""
    def cells(doc: dict | None) -> dict[CellKey, _Cell]:
        out: dict[CellKey, _Cell] = {}
        if doc is None:
            return out
        for key, r in _keyed(doc.get("line_items") or [], _line_key) + _keyed(doc.get("indicators") or [],
                                                                               _indicator_key):
            out.update(_cells(key, r))
        return out

    before, after = cells(old), cells(new)
    changes = []
    for k in [*after, *(k for k in before if k not in after)]:
        a, b = before.get(k), after.get(k)
        if a is None or b is None or a.value != b.value:
            record = " / ".join(str(x) for x in k[1:-2] if x != "")
            changes.append((f"{record} #{k[-2]}", str(k[-1]), a.text if a else None, b.text if b else None))
    return changes
