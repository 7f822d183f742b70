"""Cell precision / recall / F1 of a run against gold, as records-format.md defines it.

A record's key: line items (table, code or "", name, n), indicators (project or "",
name, n), n counting earlier records with the same key in document order. A cell is
one (key, field) with a non-null value; amounts compare as decimals in 万元.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from extractor.normalize import normalize_name, to_wan

LINE_ITEM_FIELDS = ("values", "unit")
INDICATOR_FIELDS = ("level1", "level2", "operator", "value", "unit", "weight", "direction")

CellKey = tuple[Any, ...]  # (kind, key..., field)


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


@dataclass
class Score:
    overall: Tally = field(default_factory=Tally)
    by_table: dict[str, Tally] = field(default_factory=dict)
    by_field: dict[str, Tally] = field(default_factory=dict)
    rows_gold: int = 0
    rows_found: int = 0
    misses: list[tuple[CellKey, Any, Any]] = field(default_factory=list)  # (cell, gold, predicted)

    @property
    def row_recall(self) -> float:
        return self.rows_found / self.rows_gold if self.rows_gold else 1.0


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


def _cells(key: tuple, r: dict) -> dict[CellKey, tuple[str, Any]]:
    """(key, field) → (field group, comparable value) for every non-null field."""
    out: dict[CellKey, tuple[str, Any]] = {}
    if key[0] == "line":
        unit = r.get("unit") or "万元"
        for header, amount in (r.get("values") or {}).items():
            if amount is None:
                continue
            try:
                value: Any = to_wan(amount, unit)
            except ValueError:
                value = normalize_name(str(amount))
            out[key + ("values." + normalize_name(header),)] = ("values", value)
        if r.get("unit") is not None:
            out[key + ("unit",)] = ("unit", r["unit"])
        return out
    for name in INDICATOR_FIELDS:
        v = r.get(name)
        if v is None:
            continue
        if name in ("value", "weight"):
            try:
                v = Decimal(str(v))
            except Exception:
                v = normalize_name(str(v))
        else:
            v = normalize_name(str(v))
        out[key + (name,)] = (name, v)
    return out


def _scope(doc: dict) -> tuple[set[str] | None, bool]:
    labelled = doc["document"].get("labelled")
    if not labelled:
        return None, True
    return set(labelled.get("tables") or []), bool(labelled.get("indicators"))


def score_document(gold: dict, pred: dict) -> Score:
    tables, indicators = _scope(gold)

    def wanted_line(r: dict) -> bool:
        return tables is None or r["table"] in tables

    score = Score()
    gold_cells: dict[CellKey, tuple[str, Any]] = {}
    pred_cells: dict[CellKey, tuple[str, Any]] = {}
    gold_rows: set[tuple] = set()
    pred_rows: set[tuple] = set()
    for source, cells, rows in ((gold, gold_cells, gold_rows), (pred, pred_cells, pred_rows)):
        for key, r in _keyed((r for r in source.get("line_items", []) if wanted_line(r)), _line_key):
            cells.update(_cells(key, r))
            rows.add(key)
        if indicators:
            for key, r in _keyed(source.get("indicators", []), _indicator_key):
                cells.update(_cells(key, r))
                rows.add(key)
    score.rows_gold, score.rows_found = len(gold_rows), len(gold_rows & pred_rows)

    def group(cell: CellKey) -> str:
        return cell[1] if cell[0] == "line" else "指标"

    for cell in gold_cells.keys() | pred_cells.keys():
        g, p = gold_cells.get(cell), pred_cells.get(cell)
        t = Tally(correct=int(g is not None and p is not None and g[1] == p[1]),
                  predicted=int(p is not None), gold=int(g is not None))
        score.overall.add(t)
        score.by_table.setdefault(group(cell), Tally()).add(t)
        score.by_field.setdefault((g or p)[0], Tally()).add(t)
        if not t.correct:
            score.misses.append((cell, g[1] if g else None, p[1] if p else None))
    score.misses.sort(key=lambda m: tuple(str(x) for x in m[0]))
    return score
