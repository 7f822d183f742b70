"""A document as the layout made it (pages, tables, chunks) and its `document` record:
department, year and doc_type, found from the tables' own fields, a form's 部门名称 or the
cover; and whether a table or prose block is about the whole department or a project."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from extractor.chunk import Chunk
from extractor.extract.indicators import is_indicator_table
from extractor.layout.tables import Table, text_lines
from extractor.normalize import normalize_name
from extractor.read.page import PdfDocument
from extractor.records import Document
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
