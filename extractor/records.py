"""The records contract (../shared/records-format.md) as pydantic models.

The contract's own fields serialise exactly as the contract says; what this tool adds
(provenance, status, run info) sits beside them as extra keys, which scorers ignore,
and is left out of the JSON when unset so a contract file round-trips unchanged.
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

TableKind = Literal[
    "收支总表",
    "收入总表",
    "支出总表",
    "财政拨款收支总表",
    "一般公共预算支出表",
    "一般公共预算基本支出表",
    "三公经费表",
    "政府性基金预算支出表",
    "国有资本经营预算支出表",
    "项目支出表",
    "机关运行经费表",
    "政府采购表",
    "其他",
]
TABLE_KINDS: tuple[str, ...] = TableKind.__args__  # type: ignore[attr-defined]

Unit = Literal["万元", "元", "千元"]
DocType = Literal["部门预算", "单位预算", "部门决算", "绩效目标"]
Operator = Literal["≥", "≤", "=", ">", "<", "定性"]
Scope = Literal["部门整体", "项目"]
Direction = Literal["正向", "反向"]

# Amounts are strings so the printed precision survives ("1157.590" stays as printed);
# a float can never sneak in because strict mode refuses non-strings.
MAX_INTEGER_DIGITS = 20  # no budget reaches 10^20 of any unit: a longer amount is a misreading
MAX_DECIMALS = 12
_AMOUNT = re.compile(r"-?(\d+)(?:\.(\d+))?")


def _amount(value: str) -> str:
    """A decimal string of sane size (checked before any arithmetic touches it)."""
    m = _AMOUNT.fullmatch(value)
    if m is None:
        raise ValueError(f"amount {value[:30]!r} is not a decimal number (digits, an optional '-' and '.')")
    if len(m.group(1)) > MAX_INTEGER_DIGITS:
        raise ValueError(f"amount {value[:24]}… has {len(m.group(1))} integer digits; "
                         f"amounts have at most {MAX_INTEGER_DIGITS}")
    if m.group(2) and len(m.group(2)) > MAX_DECIMALS:
        raise ValueError(f"amount {value[:24]}… has {len(m.group(2))} decimals; amounts have at most {MAX_DECIMALS}")
    return value


DecimalStr = Annotated[str, StringConstraints(strict=True), AfterValidator(_amount),
                       WithJsonSchema({"type": "string", "pattern": rf"^-?\d{{1,{MAX_INTEGER_DIGITS}}}(\.\d{{1,{MAX_DECIMALS}}})?$"})]


def _unset(value: Any) -> bool:
    return value is None


class Status(StrEnum):
    """What the reconciler concluded about a record (see the reconciler issue)."""

    ok = "ok"
    corrected = "corrected"
    conflict = "conflict"
    unchecked = "unchecked"
    inconsistent = "inconsistent"  # printed so in the document; kept as printed


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, page space


class CellSource(BaseModel):
    """Where one field's value was printed."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(ge=1)
    box: Box | None = None
    text: str | None = Field(default=None, description="the printed text the value came from")
    read: str | None = Field(default=None, exclude_if=_unset,
                             description="what OCR first read here, where a second look at the glyph changed it")


class Provenance(BaseModel):
    """Where a record came from: its chunk, its row's box, and each field's cell."""

    model_config = ConfigDict(extra="allow")

    chunk_id: str | None = None
    method: Literal["grid", "llm", "human"] | None = None
    page: int = Field(ge=1)
    box: Box | None = None
    cells: dict[str, CellSource] = Field(
        default_factory=dict,
        description="field → source; line-item amounts use 'values.<header>'",
    )
    layout: str | None = Field(default=None, exclude_if=_unset,
                               description="signature of the stored layout the columns were read with")


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")

    provenance: Provenance | None = Field(default=None, exclude_if=_unset)
    status: Status | None = Field(default=None, exclude_if=_unset)
    flags: list[str] | None = Field(
        default=None, exclude_if=_unset, description="reasons for review, machine-readable"
    )


class LineItem(_Record):
    table: TableKind
    code: str | None = Field(pattern=r"^\d+$")
    name: str
    values: dict[str, DecimalStr | None]
    unit: Unit
    page: int = Field(ge=1)
    other_codes: dict[str, Annotated[str, StringConstraints(pattern=r"^\d+$")]] | None = Field(
        default=None, exclude_if=_unset,
        description="where a row prints several classifications: each other column's header → its code",
    )


class Indicator(_Record):
    scope: Scope
    project: str | None
    level1: str | None
    level2: str | None
    name: str
    operator: Operator | None
    value: str | None
    unit: str | None
    weight: DecimalStr | None
    direction: Direction | None
    page: int = Field(ge=1)


class Labelled(BaseModel):
    """Which part of a document a gold file labels; absent means all of it."""

    model_config = ConfigDict(extra="allow")

    tables: list[TableKind] = Field(default_factory=list)
    indicators: bool = False


class Document(BaseModel):
    model_config = ConfigDict(extra="allow")

    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    department: str | None = None
    year: int | None = None
    doc_type: DocType | None = None
    labelled: Labelled | None = Field(default=None, exclude_if=_unset)


class ContractFile(BaseModel):
    """One JSON document per source PDF: the output and gold-file format."""

    model_config = ConfigDict(extra="allow")

    document: Document
    line_items: list[LineItem] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)

    def to_json(self) -> str:
        return dumps_contract(self.model_dump(mode="json"))


def dumps_contract(data: dict[str, Any]) -> str:
    """Contract JSON with one record a line, so gold files diff and review well."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    parts = []
    for key, value in data.items():
        if key in ("line_items", "indicators") and value:
            body = ",\n".join("  " + one(record) for record in value)
            parts.append(f'"{key}": [\n{body}\n ]')
        else:
            parts.append(f'"{key}": {one(value)}')
    return "{" + ",\n ".join(parts) + "}\n"


def load_contract(path: Path) -> ContractFile:
    return ContractFile.model_validate_json(path.read_bytes())


def _fmt(paths: list[str]) -> None:
    for p in map(Path, paths):
        data = json.loads(p.read_text(encoding="utf-8"))
        ContractFile.model_validate(data)  # refuse to format an invalid file
        p.write_text(dumps_contract(data), encoding="utf-8")


if __name__ == "__main__":  # python -m extractor.records fmt FILE...
    if len(sys.argv) < 3 or sys.argv[1] != "fmt":
        sys.exit("usage: python -m extractor.records fmt FILE...")
    _fmt(sys.argv[2:])
