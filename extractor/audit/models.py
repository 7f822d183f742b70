"""What crosses the audit's boundary: what it is given about a document, and its findings.

The audit is pure (no I/O, no model): `AuditInput` holds the document's tables as the
layout found them, its records, the reconciler's identities and conflicts, and the lines
printed outside the tables (titles, the table of contents, the 情况说明 narrative).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from extractor.reconcile.models import Conflict, Correction, Identity
from extractor.records import Box, Document, Indicator, LineItem

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


class Evidence(BaseModel):
    """Printed text a finding rests on, where it is printed."""

    page: int
    box: Box | None = None
    text: str


class Finding(BaseModel):
    kind: str = Field(description="missing_table, empty_table, unread_table, narrative_mismatch, narrative_blank, "
                                  "narrative_direction, narrative_unchecked, year_mismatch, unit_mismatch, "
                                  "department_mismatch, placeholder, header_wording, rounding_gap, arithmetic")
    severity: Severity
    message: str = Field(description="what is wrong, for a person, with the figures")
    pages: list[int] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    fix: str | None = Field(default=None, description="a proposed fix the arithmetic pins down, if any")


class TextLine(BaseModel):
    """A line printed outside every table grid."""

    page: int
    box: Box
    text: str


class TableSeen(BaseModel):
    """A table as the layout found it (records or not)."""

    id: str
    kind: str | None
    title: str
    pages: list[int]
    unit: str | None = None
    year: int | None = None
    department: str | None = None
    empty: bool = Field(default=False, description="printed with no figures")
    empty_note: str | None = Field(default=None, description="the printed 本表无数据 note, if any")
    headers: list[str] = Field(default_factory=list, description="its amount columns' printed headers")
    title_box: Box | None = None
    box: Box | None = Field(default=None, description="its first grid's box, on its first page")


class AuditInput(BaseModel):
    document: Document
    tables: list[TableSeen]
    line_items: list[LineItem]
    indicators: list[Indicator] = Field(default_factory=list)
    lines: list[TextLine] = Field(description="text outside the tables, in reading order")
    ocr_pages: list[int] = Field(default_factory=list, description="pages read by OCR (their text may be misread)")
    identities: list[Identity] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    corrections: list[Correction] = Field(default_factory=list)


class Claim(BaseModel):
    """An amount the narrative states, read deterministically, and what the tables say."""

    about: str = Field(description="the quantity, by its vocabulary key (收入总计, 基本支出, 三公经费…)")
    amount: str = Field(description="as printed, without separators")
    unit: str
    measure: str | None = Field(default=None, description="预算 or 决算 where the sentence says which")
    page: int
    box: Box | None = None
    text: str = Field(description="the clause it was read from")
    status: Literal["agrees", "contradicts", "blank", "unchecked"]
    cells: list[str] = Field(default_factory=list, description="the table cells it was compared with")


class Audit(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    tables: list[TableSeen] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
