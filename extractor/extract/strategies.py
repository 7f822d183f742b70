"""Strategies as a plan over chunks: which reader reads which chunk.

- grid: the grid reader alone; what it cannot read is reported, not guessed.
- llm:  every chunk through the model (tables transcribed, then grounded).
- auto: the grid where the table is recognised; the model for indicator prose and
        forms, unknown headers (the model maps them, the grid reads them) and tables
        the grid could not read.
- both: grid and model each read every budget table; disagreeing cells are flagged.

The grid pass (`extractor.extract.gridread`) always runs first; `plan` turns a strategy
into the model `Step`s that follow it, and `read_steps` carries them out, one chunk's
failure failing that chunk only. `extractor.pipeline` composes the two with the reconciler.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from extractor.chunk import Chunk, table_chunk
from extractor.extract.document import Analysis, title_scope
from extractor.extract.grid import project_amounts, read_line_items, unreadable
from extractor.extract.gridread import Pending, stamp_layout
from extractor.extract.indicators import is_indicator_table, mapped_fields, read_indicators
from extractor.extract.llm import tasks
from extractor.extract.llm.client import LLMClient, LLMError
from extractor.extract.llm.prompts import Prompt
from extractor.extract.llm.responses import LayoutOut
from extractor.extract.llm.usage import BudgetExceeded
from extractor.layout.tables import Table
from extractor.layouts import HeaderBlock, Layout, LayoutBook, apply_layout, header_block, problems
from extractor.normalize import normalize_name
from extractor.output import Mapped, Reread
from extractor.reconcile import Reconciled
from extractor.reconcile.stage import reconcile_document
from extractor.records import ContractFile, Document, Indicator, LineItem

Strategy = Literal["grid", "llm", "auto", "both"]
STRATEGIES: tuple[str, ...] = ("grid", "llm", "auto", "both")


@dataclass
class Model:
    """The model side of a run: one client, the prompt version of each task."""

    client: LLMClient
    prompts: dict[str, Prompt]
    layouts: LayoutBook | None = None  # where accepted mappings are stored (None: not stored)

    def describe(self) -> dict[str, object]:
        return {**self.client.endpoint.describe(), "prompts": {t: p.id for t, p in self.prompts.items()}}


@dataclass
class Outcome:
    doc: ContractFile
    pending: list[Pending] = field(default_factory=list)  # left unread, with why
    failures: list[str] = field(default_factory=list)  # chunks the model failed on
    disagreements: list[str] = field(default_factory=list)  # `both`: grid vs model
    reconciled: Reconciled | None = None  # statuses, fixes and conflicts of `doc`
    rereads: list[Reread] = field(default_factory=list)  # auto: tables the model read again
    mapped: list[Mapped] = field(default_factory=list)  # tables whose columns the model mapped


Task = Literal["segment", "indicators", "map", "line_items", "compare"]


@dataclass(frozen=True, slots=True)
class Step:
    """One model reading of one chunk. `table`: the table the chunk renders (None for prose).
    task: segment — prose cut into printed spans (auto); indicators — indicators read from
    prose or a form; map — the model maps the columns, the grid reads the cells;
    line_items — the model transcribes a budget table; compare — the same, as a second
    reading of a grid-read table whose disagreeing cells are flagged (both)."""

    chunk: Chunk
    table: Table | None
    task: Task


def task_for(chunk: Chunk, table: Table | None, segment: bool = False) -> Task:
    """What the model does with a chunk: prose and indicator tables give indicators (prose is
    segmented under auto), an unknown or unreadable table is mapped, a known one transcribed."""
    if segment and chunk.kind == "text":
        return "segment"
    if chunk.kind == "text" or (table is not None and is_indicator_table(table)):
        return "indicators"
    if table is not None and (table.kind is None or unreadable(table)):
        return "map"
    return "line_items"


def _step(chunk: Chunk, table: Table | None, segment: bool = False) -> Step:
    return Step(chunk, table, task_for(chunk, table, segment))


def plan(analysis: Analysis, strategy: Strategy, pending: list[Pending]) -> list[Step]:
    """The model steps a strategy takes after the grid pass, which left `pending` unread.
    grid: none (what is pending stays pending, with its reasons)."""
    tables = {t.id: t for t in analysis.tables}
    chunks = {c.id: c for c in analysis.chunks}
    if strategy == "auto":
        return [_step(chunks[p.chunk_id], tables.get(p.chunk_id), segment=True) for p in pending]
    if strategy == "llm":
        steps = []
        for chunk in analysis.chunks:
            table = tables.get(chunk.id)
            if table is not None and table.empty:
                continue
            if table is not None and is_indicator_table(table) and analysis.has_prose(table):
                # Its indicators are read from the prose chunks; what is left is the project list.
                view = project_amounts(table)
                if view is not None:
                    steps.append(_step(table_chunk(view), view))
                continue
            steps.append(_step(chunk, table))
        return steps
    if strategy == "both":
        steps = [_step(chunks[p.chunk_id], tables.get(p.chunk_id)) for p in pending]
        return steps + [Step(table_chunk(t), t, "compare") for t in analysis.tables
                        if not (t.kind is None or is_indicator_table(t) or unreadable(t) or t.empty)]
    return []


def read_step(model: Model, step: Step, document: str, out: Outcome,
              items: list[LineItem], indicators: list[Indicator]) -> None:
    """Read one chunk with the model into `items`/`indicators`; a failure fails the chunk
    (it goes to `out.failures` and `out.pending` with the reason), not the document."""
    chunk, table = step.chunk, step.table
    try:
        if step.task == "segment":
            indicators.extend(tasks.segment(model.client, model.prompts["segment"], chunk, document,
                                            title_scope(chunk.title), chunk.context or None))
        elif step.task == "indicators":
            title = table.title if table is not None else chunk.title
            got = tasks.indicators(model.client, model.prompts["indicators"], chunk, document,
                                   title_scope(title), chunk.context or None)
            indicators.extend(got.indicators)
        elif step.task == "map" and table is not None:
            _map_and_read(model, table, document, out, items, indicators)
        elif step.task == "compare" and table is not None:
            theirs = tasks.line_items(model.client, model.prompts["line_items"], chunk, table, document).line_items
            ours = [i for i in items if i.provenance and i.provenance.chunk_id == table.id]
            out.disagreements += [f"{table.id}: {line}" for line in _compare(ours, theirs)]
        elif table is not None:
            items.extend(tasks.line_items(model.client, model.prompts["line_items"], chunk, table, document).line_items)
    except (LLMError, BudgetExceeded) as exc:
        out.failures.append(f"{chunk.id} (pages {', '.join(map(str, chunk.pages))}): {exc}")
        out.pending.append(Pending(chunk.id, chunk.pages, [str(exc)]))


def read_steps(model: Model, steps: list[Step], document: str, out: Outcome,
               items: list[LineItem], indicators: list[Indicator]) -> None:
    for step in steps:
        read_step(model, step, document, out, items, indicators)


MAPPING_TRIES = 2  # a mapping that fails its checks is asked once more, with the reasons


def mapping_problems(table: Table, block: HeaderBlock, answer: LayoutOut,
                     document: str) -> tuple[list[str], list[LineItem], list[Indicator]]:
    """Read the table under a proposed mapping and check it: amount columns hold amounts,
    indicator names are not header words, and every identity of what was read holds."""
    found = problems(table, answer.roles, answer.kind)
    if found:
        return found, [], []
    if answer.kind == "绩效目标表":
        fields = mapped_fields(answer.roles)
        if "name" not in fields:
            return ["no column is mapped to the indicator name"], [], []
        inds = read_indicators(table, fields)
        if not inds:
            return ["no indicator read under this mapping"], [], []
        headers = {normalize_name(k) for k in block.columns}
        if any(i.name in headers for i in inds):
            return ["a header row was read as an indicator: the header rows are wrong"], [], []
        return [], [], inds
    layout = Layout(signature=block.signature, columns=block.columns, kind=answer.kind, roles=answer.roles)
    mapped = apply_layout(table, layout)
    reasons = unreadable(mapped)
    if reasons:
        return reasons, [], []
    items = read_line_items(mapped)
    if not items:
        return ["no row read under this mapping"], [], []
    check = reconcile_document(ContractFile(document=Document(file=document, sha256="0" * 64), line_items=items), set())
    failing = check.totals.violated
    if failing:
        return [f"{failing} of {check.totals.identities} identities fail when read this way"], [], []
    return [], items, []


def _map_and_read(model: Model, table: Table, document: str, out: Outcome, items: list[LineItem],
                  indicators: list[Indicator]) -> None:
    """The model maps the table's columns from its header block; the grid reader reads every
    cell; a mapping that passes its checks is stored, so the next table with this header
    needs no call. Two tries, then the table is pending with the reasons."""
    block = header_block(table)
    n_cols = table.parts[0].grid.n_cols
    feedback: list[str] | None = None
    for _ in range(MAPPING_TRIES):
        answer = tasks.layout(model.client, model.prompts["layout"], block, n_cols, document, table.id, feedback)
        feedback, got_items, got_inds = mapping_problems(table, block, answer, document)
        if not feedback:
            layout = Layout(signature=block.signature, columns=block.columns, kind=answer.kind, roles=answer.roles,
                            source="model", note=f"{document} {table.id} p{table.pages[0]}")
            if model.layouts is not None:
                model.layouts.learn(layout)
            items.extend(stamp_layout(got_items, block.signature))
            indicators.extend(got_inds)
            out.mapped.append(Mapped(chunk=table.id, pages=table.pages, signature=block.signature,
                                     kind=answer.kind, roles=answer.roles))
            return
    out.pending.append(Pending(table.id, table.pages, ["the model's column mapping failed its checks: "
                                                       + "; ".join(feedback or [])]))


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


__all__ = ["STRATEGIES", "Model", "Outcome", "Step", "Strategy", "plan", "read_step", "read_steps", "task_for"]
