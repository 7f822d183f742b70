"""Printed tables as runs of records: the records of one table are contiguous in a document."""

from __future__ import annotations

from dataclasses import dataclass

from extractor.records import ContractFile, LineItem
from extractor.reconcile.vocab import TABLE_TOTAL_LABEL


@dataclass(frozen=True, slots=True)
class TableRun:
    kind: str
    rows: tuple[int, ...]  # indices into doc.line_items, in document order
    n: int  # 0 for the first run of this kind, 1 for the next…

    @property
    def name(self) -> str:
        return self.kind if self.n == 0 else f"{self.kind}#{self.n + 1}"


def table_runs(doc: ContractFile) -> list[TableRun]:
    runs: list[TableRun] = []
    seen: dict[str, int] = {}
    current: list[int] = []
    for i, item in enumerate(doc.line_items):
        if current and doc.line_items[current[-1]].table != item.table:
            kind = doc.line_items[current[-1]].table
            runs.append(TableRun(kind, tuple(current), seen.get(kind, 0)))
            seen[kind] = seen.get(kind, 0) + 1
            current = []
        current.append(i)
    if current:
        kind = doc.line_items[current[-1]].table
        runs.append(TableRun(kind, tuple(current), seen.get(kind, 0)))
    return runs


def unique_run(runs: list[TableRun], kind: str) -> TableRun | None:
    """The table of this kind when the document prints exactly one (else cross-checks are ambiguous)."""
    found = [r for r in runs if r.kind == kind]
    return found[0] if len(found) == 1 else None


def total_rows(doc: ContractFile, run: TableRun) -> list[int]:
    return [i for i in run.rows if doc.line_items[i].code is None and TABLE_TOTAL_LABEL.match(doc.line_items[i].name)]


def label(item: LineItem, header: str | None = None) -> str:
    who = " ".join(p for p in (item.code, item.name or "(无名)") if p)
    return f"{item.table} {who}" + (f" [{header}]" if header else "")
