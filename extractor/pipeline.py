"""One document through the flow: read → layout → extract → contract file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from extractor.extract.grid import read_line_items
from extractor.layout.tables import Table, find_tables
from extractor.read.pdf import PdfDocument, read_pdf
from extractor.records import ContractFile, Document, LineItem


def _most_common(values: list) -> object | None:
    values = [v for v in values if v]
    return Counter(values).most_common(1)[0][0] if values else None


def _doc_type(tables: list[Table]) -> str:
    titles = "".join(t.title for t in tables)
    if "决算" in titles:
        return "部门决算"
    if tables and all(t.kind == "绩效目标表" for t in tables):
        return "绩效目标"
    return "部门预算"


def document_record(pdf: PdfDocument, tables: list[Table]) -> Document:
    return Document(
        file=pdf.path.name,
        sha256=pdf.sha256,
        department=_most_common([t.department for t in tables]),
        year=_most_common([t.year for t in tables]),
        doc_type=_doc_type(tables),  # type: ignore[arg-type]
    )


def extract_grid(path: Path) -> tuple[ContractFile, list[Table]]:
    pdf = read_pdf(path)
    tables = find_tables(pdf.pages)
    items: list[LineItem] = []
    for table in tables:
        if table.kind is None or table.kind == "绩效目标表":
            continue
        items.extend(read_line_items(table))
    return ContractFile(document=document_record(pdf, tables), line_items=items, indicators=[]), tables
