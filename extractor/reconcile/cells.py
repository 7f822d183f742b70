"""Cells of a document as the arithmetic sees them: exact 万元 values and their precision.

A cell is one (record, field): `("L", 12, "values.合计")` or `("I", 3, "weight")`. Values
are read from the printed decimal strings and converted to 万元 exactly, so tables in
元 and 万元 compare without loss; each cell also knows half a unit of its last printed
digit, which is what rounding can hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, NamedTuple

from extractor.normalize import UNIT_TO_WAN, normalize_amount
from extractor.records import ContractFile

ZERO = Decimal(0)


class CellKey(NamedTuple):
    coll: Literal["L", "I"]  # line_items / indicators
    index: int
    field: str  # "values.<header>" or an indicator field


def value_key(index: int, header: str) -> CellKey:
    return CellKey("L", index, f"values.{header}")


def decimals(printed: str) -> int:
    return len(printed.split(".", 1)[1]) if "." in printed else 0


def parse(printed: str | None) -> Decimal | None:
    if printed is None:
        return None
    try:
        return Decimal(printed)
    except InvalidOperation:
        return None


def half_unit(printed: str | None, unit: str) -> Decimal:
    """What rounding to the printed precision can hide, in 万元; an empty or zero cell hides nothing."""
    value = parse(printed)
    if printed is None or value is None or value == 0:
        return ZERO
    return Decimal(5).scaleb(-decimals(printed) - 1) * UNIT_TO_WAN[unit]


def half_unit_at(places: int, unit: str) -> Decimal:
    """Half a unit of the `places`-th decimal, in 万元."""
    return Decimal(5).scaleb(-places - 1) * UNIT_TO_WAN[unit]


def wan(printed: str | None, unit: str) -> Decimal:
    value = parse(printed)
    return ZERO if value is None else value * UNIT_TO_WAN[unit]


@dataclass(frozen=True, slots=True)
class Cell:
    printed: str | None
    unit: str  # 万元/元/千元; indicators' weights use "万元" (factor 1, a plain number)
    wan: Decimal = ZERO  # the value in 万元 (0 when empty)
    hu: Decimal = ZERO  # half a unit of the last printed digit, in 万元

    @classmethod
    def of(cls, printed: str | None, unit: str) -> "Cell":
        return cls(printed, unit, wan(printed, unit), half_unit(printed, unit))


Evidence = Literal["none", "confirmed", "weak", "contradicted"]


def read_cells(doc: ContractFile) -> dict[CellKey, Cell]:
    """Every amount cell of the document (null cells included: a fix may fill them)."""
    cells: dict[CellKey, Cell] = {}
    for i, item in enumerate(doc.line_items):
        for header, printed in item.values.items():
            cells[value_key(i, header)] = Cell.of(printed, item.unit)
    for i, ind in enumerate(doc.indicators):
        weight = Cell.of(ind.weight, "万元")  # whole-number weights are exact scores, not rounded
        cells[CellKey("I", i, "weight")] = weight if "." in (ind.weight or "") else Cell(ind.weight, "万元", weight.wan)
    return cells


def source_text(doc: ContractFile, key: CellKey) -> str | None:
    """The text printed at a cell's provenance as it was read, even when it is not an amount
    ("1.097.073.43": thousands separators read as points); None when there is none."""
    record = doc.line_items[key.index] if key.coll == "L" else doc.indicators[key.index]
    prov = record.provenance
    if prov is None or key.field not in prov.cells:
        return None
    return prov.cells[key.field].text


def evidence(doc: ContractFile, key: CellKey) -> tuple[Evidence, str | None]:
    """What the record's provenance says about a cell: the printed text, and whether it agrees.

    `confirmed`: the text layer prints exactly the extracted value, so the figure is as
    published. `weak`: it agrees, but the text came from OCR (which may be the misreading).
    `contradicted`: the printed text says something else (returned as the second item).
    """
    record = doc.line_items[key.index] if key.coll == "L" else doc.indicators[key.index]
    prov = record.provenance
    if prov is None or key.field not in prov.cells or prov.cells[key.field].text is None:
        return "none", None
    text = prov.cells[key.field].text
    extracted = getattr(record, "weight", None) if key.coll == "I" else record.values.get(key.field[7:])
    try:
        printed = normalize_amount(text)
    except ValueError:
        return "none", None
    if printed == extracted or (parse(printed) is not None and parse(printed) == parse(extracted)):
        extra = prov.model_extra or {}
        ocr = extra.get("source") == "ocr" or extra.get("ocr") is True
        return ("weak" if ocr else "confirmed"), printed
    return "contradicted", printed
