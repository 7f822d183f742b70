"""Run against run: figure deltas per document, table and field, and the cells that flipped.

A cell "right" in a run is a gold cell the run read correctly. Cells that went right →
wrong and wrong → right are listed with their page and the printed text the run read
(provenance), so a prompt or model change reads like a code review. Spurious cells
(predicted, not in gold) that appear or disappear are listed apart: they move precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extractor.evaluation.runs import RunScore
from extractor.evaluation.score import CellResult, Tally


@dataclass
class Flip:
    document: str
    cell: str  # readable label
    table: str
    field: str
    gold: str | None
    a: str | None
    b: str | None
    page: int | None
    source: str | None  # printed text behind the value of the run that has it (B first)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Delta:
    name: str
    a: Tally | None
    b: Tally | None

    @property
    def f1_delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b.f1 - self.a.f1

    def as_dict(self) -> dict[str, Any]:
        return {"a": None if self.a is None else self.a.as_dict(), "b": None if self.b is None else self.b.as_dict(),
                "f1_delta": None if self.f1_delta is None else round(self.f1_delta, 6)}


@dataclass
class Comparison:
    a: RunScore
    b: RunScore
    overall: Delta
    documents: list[Delta]
    tables: list[Delta]
    fields: list[Delta]
    broken: list[Flip] = field(default_factory=list)  # right in A, wrong in B
    fixed: list[Flip] = field(default_factory=list)  # wrong in A, right in B
    spurious_added: list[Flip] = field(default_factory=list)
    spurious_removed: list[Flip] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ga, gb = self.a.gold_free, self.b.gold_free
        return {
            "a": str(self.a.run_dir), "b": str(self.b.run_dir),
            "overall": {**self.overall.as_dict(),
                        "gold_free": {"a": ga.as_dict(), "b": gb.as_dict()}},
            "documents": {d.name: d.as_dict() for d in self.documents},
            "tables": {d.name: d.as_dict() for d in self.tables},
            "fields": {d.name: d.as_dict() for d in self.fields},
            "right_to_wrong": [f.as_dict() for f in self.broken],
            "wrong_to_right": [f.as_dict() for f in self.fixed],
            "spurious_added": [f.as_dict() for f in self.spurious_added],
            "spurious_removed": [f.as_dict() for f in self.spurious_removed],
        }


def _deltas(a: dict[str, Tally], b: dict[str, Tally]) -> list[Delta]:
    return [Delta(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys(),
                                                         key=lambda k: (-max(t.gold for t in (a.get(k), b.get(k)) if t), k))]


def _flip(doc: str, ca: CellResult | None, cb: CellResult | None) -> Flip:
    c = cb or ca
    assert c is not None
    has_b = cb is not None and cb.pred is not None
    src = cb if has_b else (ca if ca is not None and ca.pred is not None else c)
    return Flip(document=doc, cell=c.label, table=c.table, field=c.field, gold=c.gold_text,
                a=ca.pred_text if ca else None, b=cb.pred_text if cb else None,
                page=src.page, source=src.source)


def compare_runs(a: RunScore, b: RunScore) -> Comparison:
    oa, ob = a.overall, b.overall
    comp = Comparison(
        a=a, b=b, overall=Delta("overall", oa.overall, ob.overall),
        documents=[Delta(f, da.score.overall if (da := a.doc(f)) and da.score else None,
                         db.score.overall if (db := b.doc(f)) and db.score else None)
                   for f in sorted({d.file for d in a.scored} | {d.file for d in b.scored})],
        tables=_deltas(oa.by_table, ob.by_table),
        fields=_deltas(oa.by_column, ob.by_column),
    )
    for da in a.scored:
        db = b.doc(da.file)
        if db is None or db.score is None or da.score is None:
            continue
        cells_a = {c.cell: c for c in da.score.cells}
        cells_b = {c.cell: c for c in db.score.cells}
        for key in sorted(cells_a.keys() | cells_b.keys(), key=lambda k: tuple(str(x) for x in k)):
            ca, cb = cells_a.get(key), cells_b.get(key)
            right_a, right_b = bool(ca and ca.correct), bool(cb and cb.correct)
            if right_a and not right_b:
                comp.broken.append(_flip(da.file, ca, cb))
            elif right_b and not right_a:
                comp.fixed.append(_flip(da.file, ca, cb))
            elif (ca or cb).gold is None:  # type: ignore[union-attr]
                in_a, in_b = bool(ca and ca.pred is not None), bool(cb and cb.pred is not None)
                if in_b and not in_a:
                    comp.spurious_added.append(_flip(da.file, ca, cb))
                elif in_a and not in_b:
                    comp.spurious_removed.append(_flip(da.file, ca, cb))
    return comp
