"""One document through the flow: read → layout → chunk → extract → contract file."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from extractor.chunk import Chunk, make_chunks
from extractor.extract.grid import project_amounts, read_line_items, unreadable
from extractor.extract.prose import read_prose
from extractor.normalize import normalize_name
from extractor.extract.indicators import is_indicator_table, read_indicators
from extractor.extract.ocr_names import settle_ocr_projects
from extractor.layout.tables import Table, find_tables, text_lines
from extractor.layouts import LayoutBook, apply_layout, header_block, problems
from extractor.read.page import PdfDocument
from extractor.read.pdf import OcrOptions, read_pdf
from extractor.records import ContractFile, Document, Indicator, LineItem
from extractor.vocabulary import (
    COVER_DEPARTMENT,
    DEPARTMENT_FIELD,
    DEPARTMENT_LABEL,
    DEPARTMENT_QUALIFIER,
    NOT_A_NAME,
    ORG_SUFFIX,
    YEAR,
)


@dataclass(slots=True)
class Analysis:
    """What the reader and layout made of a PDF, before any extraction."""

    pdf: PdfDocument
    tables: list[Table]
    chunks: list[Chunk]

    def unrecognised(self) -> list[Table]:
        return [t for t in self.tables if t.kind is None and not is_indicator_table(t)]

    def has_prose(self, table: Table) -> bool:
        """Prose chunks were cut from this table's cells (ids `<table id>-p<page>-r…c…`)."""
        return any(c.kind == "text" and c.id.startswith(f"{table.id}-p") for c in self.chunks)


def title_scope(title: str) -> str:
    """部门整体 for a department-wide table or prose block, else 项目 (by its title)."""
    return "部门整体" if "整体" in normalize_name(title) else "项目"


def _most_common(values: list) -> object | None:
    values = [v for v in values if v]
    return Counter(values).most_common(1)[0][0] if values else None


def _doc_type(tables: list[Table]) -> str:
    titles = "".join(t.title for t in tables)
    if "决算" in titles:
        return "部门决算"
    if tables and all(t.kind == "绩效目标表" or t.kind is None for t in tables):
        return "绩效目标"
    return "部门预算"


def _cover_text(pdf: PdfDocument) -> str:
    """The first page's first lines (the cover or the title block), joined."""
    if not pdf.pages:
        return ""
    return " ".join(line.text for line in text_lines(pdf.pages[0].words)[:8])


def _form_department(tables: list[Table]) -> str | None:
    """'部门名称 | 广州市政务服务和数据管理局' in a form's first rows."""
    for table in tables:
        grid = table.parts[0].grid
        for row in range(min(grid.n_rows, 8)):
            cells = [c for c in grid.row_cells(row) if not c.empty]
            for label, value in zip(cells, cells[1:]):
                name = normalize_name(value.text)
                # a field's value, not the next header cell (单位名称 | 合计 in a table's header)
                if DEPARTMENT_FIELD.match(normalize_name(label.text)) and re.search(ORG_SUFFIX + "$", name):
                    return name
    return None


def _department(pdf: PdfDocument, tables: list[Table]) -> str | None:
    """From the tables' 部门/单位 fields, else a form's 部门名称, else the cover or title; never a
    placeholder (（盖章）, 金额, XX); the unit qualifiers （本级）/（汇总） dropped."""
    cover = COVER_DEPARTMENT.search(re.sub(r"\s+", "", _cover_text(pdf)))
    candidates = [
        _most_common([t.department for t in tables if t.department and not NOT_A_NAME.search(t.department)]),
        cover.group("dept") if cover else None,
        _form_department(tables),
        *(m.group("dept") for t in tables if (m := COVER_DEPARTMENT.search(normalize_name(t.title)))),
    ]
    for found in candidates:
        name = _clean_department(found) if isinstance(found, str) else None
        if name:
            return name
    return None


def _clean_department(found: str) -> str | None:
    """A name run together with the title or label before it ('申报表部门名称广州市…局',
    '名称宁德市…办公室') keeps what follows the last label; a placeholder or a title is none."""
    name = DEPARTMENT_LABEL.split(found)[-1]
    if not name or NOT_A_NAME.search(name) or "表" in name:
        return None
    return DEPARTMENT_QUALIFIER.sub("", name)


def _year(pdf: PdfDocument, tables: list[Table]) -> int | None:
    year = _most_common([t.year for t in tables])
    if year:
        return int(year)  # type: ignore[call-overload]
    m = YEAR.search(_cover_text(pdf))
    return int(m.group(1)) if m else None


def document_record(pdf: PdfDocument, tables: list[Table]) -> Document:
    return Document(
        file=pdf.path.name,
        sha256=pdf.sha256,
        department=_department(pdf, tables),
        year=_year(pdf, tables),
        doc_type=_doc_type(tables),  # type: ignore[arg-type]
    )


def analyse_pdf(pdf: PdfDocument) -> Analysis:
    tables = find_tables(pdf.pages)
    return Analysis(pdf, tables, make_chunks(tables, pdf.pages))


def analyse(path: Path, ocr: OcrOptions | None = None) -> Analysis:
    return analyse_pdf(read_pdf(path, ocr=ocr))


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
        indicators = settle_ocr_projects(indicators, items, ocr_pages)
    doc = ContractFile(
        document=document_record(analysis.pdf, analysis.tables), line_items=items, indicators=indicators
    )
    return doc, pending


def read_grid(analysis: Analysis, book: LayoutBook | None = None) -> ContractFile:
    return grid_read(analysis, book)[0]
