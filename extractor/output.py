"""The output document: the records contract plus what this tool says about how it got
them, all typed. `schemas/output.schema.json` is generated from `OutputDocument`.

    {"document": {... contract fields ..., "extraction": Extraction},
     "line_items": [...], "indicators": [...],
     "report": Report, "reconciliation": Reconciliation}

The contract's own fields are `extractor.records`; scorers ignore the rest.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.audit.models import Audit
from extractor.reconcile.models import Totals
from extractor.records import Document, Indicator, LineItem


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = Field(default=0, description="HTTP answers received, failed validations included")
    reasks: int = 0
    cache_hits: int = 0
    ungrounded: int = Field(default=0, description="values or records the model gave that the page does not print")


class Extraction(BaseModel):
    """How this output was made."""

    tool: Literal["budget-extractor"] = "budget-extractor"
    version: str
    strategy: str
    model: dict[str, Any] | None = Field(description="endpoint, model, mode and prompt versions; None for grid")
    pages: int
    ocr_pages: list[int]
    seconds: float
    usage: Usage | None = None


class OutputInfo(Document):
    """The contract's `document` block with the run's `extraction` info."""

    extraction: Extraction | None = None


class PendingChunk(BaseModel):
    chunk: str
    pages: list[int]
    reasons: list[str] = Field(description="why it was not read (for a person or a model)")


class Mapped(BaseModel):
    """A table read under a column mapping the model gave (auto)."""

    chunk: str
    pages: list[int]
    signature: str
    kind: str
    roles: list[str]


class Report(BaseModel):
    pending: list[PendingChunk] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list, description="chunks the model failed on (the output is partial)")
    disagreements: list[str] = Field(default_factory=list)
    mapped: list[Mapped] = Field(default_factory=list)


class Figure(BaseModel):
    cell: str
    side: str
    printed: str | None
    unit: str | None = Field(default=None, description="the unit `printed` is in (its table's)")


class IdentityOut(BaseModel):
    id: str
    kind: str
    tables: list[str]
    description: str
    difference: str | None
    figures: list[Figure]


class CorrectionOut(BaseModel):
    cell: str
    collection: str
    index: int
    field: str
    old: str | None
    new: str | None
    misreading: str
    proof: list[IdentityOut]


class CellRefOut(BaseModel):
    collection: Literal["line_items", "indicators"]
    index: int
    field: str


class ConflictOut(BaseModel):
    status: str = Field(description="conflict (unproven) or inconsistent (printed so)")
    mismatch_wan: str
    reason: str
    cells: list[str]
    refs: list[CellRefOut] = Field(default_factory=list, description="the same cells as (collection, index, field)")
    pages: list[int]
    identities: list[IdentityOut]
    candidates: list[str]


class Reread(BaseModel):
    """auto: a grid-read table whose identities failed, read again by the model."""

    model_config = ConfigDict(extra="forbid")

    chunk: str
    pages: list[int]
    grid_failing: int
    model_failing: int | None = Field(default=None, exclude_if=lambda v: v is None)
    kept: Literal["grid", "model"]
    why: str | None = Field(default=None, exclude_if=lambda v: v is None)


class Reconciliation(BaseModel):
    totals: Totals
    corrections: list[CorrectionOut] = Field(default_factory=list)
    conflicts: list[ConflictOut] = Field(default_factory=list)
    rereads: list[Reread] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)


class OutputDocument(BaseModel):
    """One output file per PDF: the contract's records with their provenance and status,
    the report of what was not read, and the reconciliation."""

    document: OutputInfo
    line_items: list[LineItem] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    report: Report = Field(default_factory=Report)
    reconciliation: Reconciliation | None = None
    audit: Audit | None = Field(default=None, description="the document audit: findings, tables found, claims")
