"""What crosses the reconciler's boundary: identities, corrections, conflicts and totals.

Amounts are exact Decimals in 万元 (every table's unit converted with `to_wan`), so
figures from tables in 元 and 万元 sit in one identity; each figure also keeps the
string printed in its own table and unit.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.records import ContractFile


class IdentityKind(StrEnum):
    row_sum = "row_sum"  # total column = Σ part columns of one row
    code_hierarchy = "code_hierarchy"  # 类 = Σ款, 款 = Σ项, 301 = Σ301xx
    table_total = "table_total"  # the 合计 row = Σ top-level rows (类 or unit rows)
    label_group = "label_group"  # "X/小计" row = Σ "X/…" rows
    balance = "balance"  # 收支总表: 收入总计 = 支出总计, 总计 = 本年合计 + 结转, 一、= Σ(一)…
    cross_table = "cross_table"  # the same quantity printed in two tables
    taxonomy = "taxonomy"  # indicator level1/level2 within the fixed taxonomy
    target = "target"  # indicator operator/value coherence
    weights = "weights"  # indicator weights of one table sum to 100


class Misreading(StrEnum):
    digit_confusion = "digit_confusion"  # 3↔8, 1↔7, 0↔6↔9, 5↔6
    transposition = "transposition"  # two adjacent digits swapped
    decimal_point = "decimal_point"  # point lost or moved
    dropped_digit = "dropped_digit"  # one digit not read ("10973.43" for "109773.43")
    doubled_digit = "doubled_digit"  # one digit read twice ("1097733.43" for "109773.43")
    separator = "separator"  # a thousands separator read as a decimal point ("1.097.073.43")
    column_shift = "column_shift"  # value landed in the neighbouring column
    scale = "scale"  # 元/万元 slip, ×10000
    fused_rows = "fused_rows"  # "3960704" = rows 3960 and 704 run together
    source_text = "source_text"  # extraction differs from the printed text at its provenance


class CellRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    collection: Literal["line_items", "indicators"]
    index: int
    field: str = Field(description="'values.<header>' for amounts, else the indicator field")
    label: str = Field(description="human-readable: table, code, name and header")


class Figure(BaseModel):
    ref: CellRef | None = Field(description="None for a constant (weights sum to 100)")
    side: Literal["lhs", "rhs"]
    printed: str | None = Field(description="as printed in its table, null for an empty cell")
    unit: str | None = None
    wan: Decimal | None = Field(default=None, description="the figure in 万元 (weights: as is)")


class Identity(BaseModel):
    id: str
    kind: IdentityKind
    tables: list[str]
    description: str
    figures: list[Figure]
    expected: Decimal | None = Field(default=None, description="Σ right-hand side, 万元")
    actual: Decimal | None = Field(default=None, description="Σ left-hand side (the printed total), 万元")
    difference: Decimal | None = Field(default=None, description="actual − expected")
    tolerance: Decimal | None = Field(default=None, description="half a unit of each figure's last digit, summed")
    holds: bool
    exact: bool = Field(default=True, description="holds with no rounding gap")
    detail: str | None = Field(default=None, description="what a non-arithmetic check found")


class Correction(BaseModel):
    ref: CellRef
    old: str | None
    new: str | None
    kind: Misreading
    moved_from: CellRef | None = Field(default=None, description="column shift: the cell the value came from")
    identities: list[str] = Field(description="ids of the identities that hold only with the new value")


class Candidate(BaseModel):
    """A fix that would have made the identities hold, shown when it was not unique."""

    ref: CellRef
    old: str | None
    new: str | None
    kind: Misreading


class Conflict(BaseModel):
    status: Literal["conflict", "inconsistent"]
    identities: list[str]
    refs: list[CellRef]
    mismatch: Decimal = Field(description="largest |actual − expected| among the identities, 万元")
    reason: str
    candidates: list[Candidate] = Field(default_factory=list)


class Totals(BaseModel):
    identities: int
    holding: int
    violated: int
    rounding_gaps: int = Field(description="identities that hold only within the rounding tolerance")
    corrected: int
    conflicts: int
    inconsistent: int
    records: dict[str, int] = Field(description="records per status")
    tables_checked: int
    tables_all_holding: int
    share_tables_all_holding: float


class Reconciled(BaseModel):
    document: ContractFile
    identities: list[Identity]
    corrections: list[Correction]
    conflicts: list[Conflict]
    skipped: list[str] = Field(default_factory=list, description="identity families not asserted, and why")
    totals: Totals
