"""Strategies: which reader reads which chunk.

- grid: the grid reader alone; what it cannot read is reported, not guessed.
- llm:  every chunk through the model (tables transcribed, then grounded).
- auto: the grid where the table is recognised; the model for indicator prose and
        forms, unknown headers (the model maps them, the grid reads them) and tables
        the grid could not read.
- both: grid and model each read every budget table; disagreeing cells are flagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from extractor.chunk import Chunk, table_chunk
from extractor.extract.grid import project_amounts, read_line_items, unreadable
from extractor.extract.indicators import is_indicator_table, read_indicators
from extractor.extract.llm import tasks
from extractor.extract.llm.client import LLMClient, LLMError
from extractor.extract.llm.prompts import Prompt
from extractor.extract.llm.usage import BudgetExceeded
from extractor.layout.tables import Table
from extractor.pipeline import Analysis, Pending, document_record, grid_read, title_scope
from extractor.records import ContractFile, Indicator, LineItem
from extractor.reconcile import Reconciled
from extractor.reconcile.stage import reconcile_document, violated_chunks

Strategy = Literal["grid", "llm", "auto", "both"]
STRATEGIES: tuple[str, ...] = ("grid", "llm", "auto", "both")


@dataclass
class Model:
    """The model side of a run: one client, the prompt version of each task."""

    client: LLMClient
    prompts: dict[str, Prompt]

    def describe(self) -> dict[str, object]:
        return {**self.client.endpoint.describe(), "prompts": {t: p.id for t, p in self.prompts.items()}}


@dataclass
class Outcome:
    doc: ContractFile
    pending: list[Pending] = field(default_factory=list)  # left unread, with why
    failures: list[str] = field(default_factory=list)  # chunks the model failed on
    disagreements: list[str] = field(default_factory=list)  # `both`: grid vs model
    reconciled: Reconciled | None = None  # statuses, fixes and conflicts of `doc`
    rereads: list[dict[str, object]] = field(default_factory=list)  # auto: tables the model read again


def _model_read(model: Model, chunk: Chunk, table: Table | None, document: str, out: Outcome,
                items: list[LineItem], indicators: list[Indicator]) -> None:
    """Read one chunk with the model; a failure fails the chunk, not the document."""
    try:
        if chunk.kind == "text" or (table is not None and is_indicator_table(table)):
            title = table.title if table is not None else chunk.title
            got = tasks.indicators(model.client, model.prompts["indicators"], chunk, document,
                                   title_scope(title), chunk.context or None)
            indicators.extend(got.indicators)
        elif table is not None and (table.kind is None or unreadable(table)):
            mapped = tasks.header_map(model.client, model.prompts["header_map"], chunk, table, document)
            if is_indicator_table(mapped) or mapped.kind == "绩效目标表":
                got = tasks.indicators(model.client, model.prompts["indicators"], chunk, document,
                                       title_scope(mapped.title), None)
                indicators.extend(got.indicators)
            elif unreadable(mapped):
                out.pending.append(Pending(chunk.id, chunk.pages, ["model's header map still unreadable: "
                                                                    + "; ".join(unreadable(mapped))]))
            else:
                items.extend(read_line_items(mapped))
        elif table is not None:
            items.extend(tasks.line_items(model.client, model.prompts["line_items"], chunk, table, document).line_items)
    except (LLMError, BudgetExceeded) as exc:
        out.failures.append(f"{chunk.id} (pages {', '.join(map(str, chunk.pages))}): {exc}")
        out.pending.append(Pending(chunk.id, chunk.pages, [str(exc)]))


def _compare(grid_items: list[LineItem], model_items: list[LineItem]) -> list[str]:
    """Flag grid records whose cells the model read differently; return the report lines."""
    def keyed(items: list[LineItem]) -> dict[tuple, LineItem]:
        seen: Counter[tuple] = Counter()
        out = {}
        for item in items:
            k = (item.table, item.code or "", item.name)
            out[k + (seen[k],)] = item
            seen[k] += 1
        return out

    report = []
    model_by_key = keyed(model_items)
    for key, item in keyed(grid_items).items():
        other = model_by_key.get(key)
        if other is None:
            report.append(f"p{item.page} {item.name or item.code}: the model did not return this row")
            continue
        for col, value in item.values.items():
            theirs = other.values.get(col)
            if theirs != value:
                item.flags = (item.flags or []) + [f"disagree:values.{col}"]
                report.append(f"p{item.page} {item.name or item.code} / {col}: grid {value!r}, model {theirs!r}")
    return report


def extract(analysis: Analysis, strategy: Strategy, model: Model | None) -> Outcome:
    """Read every chunk with the strategy's readers, then reconcile the figures."""
    out = _read(analysis, strategy, model)
    ocr_pages = {p.number for p in analysis.pdf.pages if p.source == "ocr"}
    rec = reconcile_document(out.doc, ocr_pages)
    if strategy == "auto" and model is not None:
        rec = _reread_failing(analysis, model, out, rec, ocr_pages)
    out.doc, out.reconciled = rec.document, rec
    return out


def _reread_failing(analysis: Analysis, model: Model, out: Outcome, rec: Reconciled,
                    ocr_pages: set[int]) -> Reconciled:
    """auto: a grid-read budget table whose identities fail is read again by the model;
    the reading with fewer failing identities wins (the grid's on a tie)."""
    tables = {t.id: t for t in analysis.tables}
    for chunk_id, failing in violated_chunks(rec).items():
        table = tables.get(chunk_id)
        ours = [i for i in out.doc.line_items if i.provenance and i.provenance.chunk_id == chunk_id]
        if table is None or not ours or ours[0].provenance.method != "grid":  # type: ignore[union-attr]
            continue
        scratch = Outcome(out.doc)
        theirs: list[LineItem] = []
        _model_read(model, table_chunk(table), table, analysis.pdf.path.name, scratch, theirs, [])
        entry: dict[str, object] = {"chunk": chunk_id, "pages": table.pages, "grid_failing": failing}
        if scratch.failures or not theirs:
            entry.update(kept="grid", why=scratch.failures[0] if scratch.failures else "model returned no rows")
            out.rereads.append(entry)
            continue
        first = out.doc.line_items.index(ours[0])
        rest = [i for i in out.doc.line_items if not (i.provenance and i.provenance.chunk_id == chunk_id)]
        candidate = out.doc.model_copy(update={"line_items": rest[:first] + theirs + rest[first:]})
        other = reconcile_document(candidate, ocr_pages)
        model_failing = violated_chunks(other).get(chunk_id, 0)
        entry["model_failing"] = model_failing
        if model_failing < failing:
            out.doc, rec = candidate, other
            entry["kept"] = "model"
        else:
            entry["kept"] = "grid"
        out.rereads.append(entry)
    return rec


def _read(analysis: Analysis, strategy: Strategy, model: Model | None) -> Outcome:
    document = analysis.pdf.path.name
    base, pending = grid_read(analysis)
    if strategy == "grid" or model is None:
        return Outcome(base, pending)

    out = Outcome(base)
    tables = {t.id: t for t in analysis.tables}
    chunks = {c.id: c for c in analysis.chunks}
    items: list[LineItem] = []
    indicators: list[Indicator] = []
    if strategy == "auto":
        items, indicators = list(base.line_items), list(base.indicators)
        for p in pending:
            _model_read(model, chunks[p.chunk_id], tables.get(p.chunk_id), document, out, items, indicators)
    elif strategy == "llm":
        for chunk in analysis.chunks:
            table = tables.get(chunk.id)
            if table is not None and table.empty:
                continue
            if table is not None and is_indicator_table(table) and analysis.has_prose(table):
                # Its indicators are read from the prose chunks; what is left is the project list.
                view = project_amounts(table)
                if view is not None:
                    _model_read(model, table_chunk(view), view, document, out, items, indicators)
                continue
            _model_read(model, chunk, table, document, out, items, indicators)
    elif strategy == "both":
        items, indicators = list(base.line_items), list(base.indicators)
        for p in pending:
            _model_read(model, chunks[p.chunk_id], tables.get(p.chunk_id), document, out, items, indicators)
        for table in analysis.tables:
            if table.kind is None or is_indicator_table(table) or unreadable(table) or table.empty:
                continue
            theirs: list[LineItem] = []
            _model_read(model, table_chunk(table), table, document, out, theirs, [])
            ours = [i for i in items if i.provenance and i.provenance.chunk_id == table.id]
            out.disagreements += [f"{table.id}: {line}" for line in _compare(ours, theirs)]
    out.doc = ContractFile(document=document_record(analysis.pdf, analysis.tables),
                           line_items=items, indicators=indicators)
    return out


__all__ = ["STRATEGIES", "Model", "Outcome", "Strategy", "extract", "read_indicators"]
