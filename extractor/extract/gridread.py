"""The grid strategy over a whole document: every recognised table read deterministically,
a table the rules do not know read under a stored layout for its header, indicator prose
read by its numbered headings; whatever is left is `Pending`, with why, never guessed."""

from __future__ import annotations

from dataclasses import dataclass

from extractor.extract.document import Analysis, document_record, title_scope
from extractor.extract.grid import project_amounts, read_line_items, unreadable
from extractor.extract.indicators import is_indicator_table, read_indicators
from extractor.extract.ocr_names import flag_second_looks, settle_ocr_names, settle_ocr_projects
from extractor.extract.prose import read_prose
from extractor.layout.tables import Table
from extractor.layouts import LayoutBook, apply_layout, header_block, problems
from extractor.records import ContractFile, Indicator, LineItem


@dataclass(frozen=True, slots=True)
class Pending:
    """A chunk the grid reader did not read, and why: work for the model."""

    chunk_id: str
    pages: list[int]
    reasons: list[str]


def _names_indicators(table: Table) -> bool:
    """Does the table print indicators at all (a 指标 word anywhere), or only targets in prose?"""
    return any("指标" in c.text for p in table.parts for c in p.grid.cells)


def known_layout(table: Table, book: LayoutBook | None) -> tuple[Table, str] | None:
    """The table read with a stored layout for its header, when one fits it, and that
    layout's signature (None otherwise)."""
    if book is None:
        return None
    layout = book.find(header_block(table).signature)
    if layout is None or layout.kind == "绩效目标表" or problems(table, layout.roles, layout.kind):
        return None
    mapped = apply_layout(table, layout)
    return (mapped, layout.signature) if not unreadable(mapped) else None


def stamp_layout(items: list[LineItem], signature: str) -> list[LineItem]:
    """Records read under a stored or learned layout say which one."""
    return [i.model_copy(update={"provenance": i.provenance.model_copy(update={"layout": signature})})
            if i.provenance else i for i in items]


def grid_read(analysis: Analysis, book: LayoutBook | None = None) -> tuple[ContractFile, list[Pending]]:
    """The grid strategy: recognised tables read deterministically, nothing guessed; a table
    the rules do not know is read under a stored layout for its header, if there is one."""
    items: list[LineItem] = []
    indicators: list[Indicator] = []
    pending: list[Pending] = []
    for table in analysis.tables:
        if is_indicator_table(table):
            found = read_indicators(table)
            indicators.extend(found)
            amounts = None if found else project_amounts(table)
            listed = read_line_items(amounts) if amounts is not None else []
            items.extend(listed)  # a project list with prose targets: its amounts are line items
            if (not found and not table.empty and not analysis.has_prose(table)
                    and not (listed and not _names_indicators(table))):
                pending.append(Pending(table.id, table.pages, ["indicator block not recognised"]))
            continue
        reasons = unreadable(table)
        if reasons:
            known = known_layout(table, book)
            if known is not None:
                items.extend(stamp_layout(read_line_items(known[0]), known[1]))
                continue
            pending.append(Pending(table.id, table.pages, reasons))
            continue
        items.extend(read_line_items(table))
    for chunk in analysis.chunks:
        if chunk.kind != "text":
            continue
        found = read_prose(chunk, title_scope(chunk.title))
        if found:
            indicators.extend(found)
        else:
            pending.append(Pending(chunk.id, chunk.pages, ["indicator prose without numbered headings"]))
    ocr_pages = {p.number for p in analysis.pdf.pages if p.source == "ocr"}
    if ocr_pages:
        items = flag_second_looks(settle_ocr_names(items, ocr_pages))
        indicators = flag_second_looks(indicators)
        indicators = settle_ocr_projects(indicators, items, ocr_pages)
    doc = ContractFile(
        document=document_record(analysis.pdf, analysis.tables), line_items=items, indicators=indicators
    )
    return doc, pending


def read_grid(analysis: Analysis, book: LayoutBook | None = None) -> ContractFile:
    return grid_read(analysis, book)[0]
