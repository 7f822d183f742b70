"""Grounding: every number the model returns must be printed in the chunk it read.

A grounded value takes the page and box of the cell it was found in. An ungrounded one
is reported (so it can be sent back once) and, if it stays ungrounded, dropped: the
field is left empty and the record flagged. A record whose name is not printed where the
model says (an answer about another table, or an invented row) is dropped whole. No
invented number or name reaches an output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from extractor.chunk import Chunk, ChunkCell
from extractor.extract.grid import join_code
from extractor.extract.llm.responses import IndicatorOut, RowOut
from extractor.normalize import normalize_amount, normalize_name
from extractor.records import CellSource, Indicator, LineItem, Provenance

_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
_REF = re.compile(r"^r(\d+)c(\d+)$")


@dataclass
class Grounded:
    """Records built from a model answer, and what could not be found in the source."""

    line_items: list[LineItem] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # sent back to the model once
    dropped: list[str] = field(default_factory=list)  # records whose name is not printed there: not kept


def _dec(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _numbers(text: str) -> list[Decimal]:
    out = []
    for m in _NUMBER.finditer(text):
        d = _dec(m.group(0))
        if d is not None:
            out.append(d)
    return out


def _cell_with_number(cells: list[ChunkCell], value: str) -> ChunkCell | None:
    """The first cell that prints `value` as a number (1,557.33 matches 1557.33)."""
    want = _dec(value)
    if want is None:
        return None
    for cell in cells:
        if want in _numbers(cell.text):
            return cell
    return None


def _cell_with_text(cells: list[ChunkCell], text: str) -> ChunkCell | None:
    """The cell that prints `text` (whitespace aside), or where it starts when it runs on
    into the next cells (a name wrapped over two lines of prose)."""
    want = normalize_name(text)
    if not want:
        return None
    for cell in cells:
        if want in normalize_name(cell.text):
            return cell
    joined, starts = "", []
    for cell in cells:
        starts.append(len(joined))
        joined += normalize_name(cell.text)
    at = joined.find(want)
    if at < 0:
        return None
    return cells[max(i for i, start in enumerate(starts) if start <= at)]


def _source(cell: ChunkCell, text: str | None = None) -> CellSource:
    return CellSource(page=cell.page, box=cell.box, text=text if text is not None else cell.text)


def ground_indicators(
    answer: list[IndicatorOut], chunk: Chunk, scope: str, project: str | None
) -> Grounded:
    """Indicators whose value and weight are printed in the chunk; the rest flagged."""
    out = Grounded()
    fallback = chunk.cells[0] if chunk.cells else None
    for i, item in enumerate(answer):
        cells: dict[str, CellSource] = {}
        flags: list[str] = []
        value, weight = item.value, item.weight
        for name in ("value", "weight"):
            v = getattr(item, name)
            if v is None:
                continue
            numeric = _dec(v) is not None
            cell = _cell_with_number(chunk.cells, v) if numeric else _cell_with_text(chunk.cells, v)
            if cell is None:
                out.errors.append(f"indicator {i + 1} ({item.name}): {name} {v!r} is not printed in the chunk")
                flags.append(f"ungrounded:{name}")
                if name == "value":
                    value = None
                else:
                    weight = None
            else:
                cells[name] = _source(cell)
        name_cell = _cell_with_text(chunk.cells, item.name)
        if name_cell is None:  # not this chunk's indicator (another table's, or invented): dropped
            out.dropped.append(f"indicator {i + 1}: name {item.name!r} is not printed in the chunk")
            continue
        cells["name"] = _source(name_cell)
        anchor = name_cell or fallback
        page = anchor.page if anchor else chunk.pages[0]
        out.indicators.append(
            Indicator(
                scope=scope,  # type: ignore[arg-type]
                project=project,
                level1=item.level1,
                level2=item.level2,
                name=normalize_name(item.name),
                operator=item.operator,
                value=value,
                unit=item.unit,
                weight=weight,
                direction=None,
                page=page,
                provenance=Provenance(chunk_id=chunk.id, method="llm", page=page,
                                      box=anchor.box if anchor else None, cells=cells),
                flags=flags or None,
            )
        )
    return out


def _row_cells(chunk: Chunk) -> dict[str, dict[int, ChunkCell]]:
    rows: dict[str, dict[int, ChunkCell]] = {}
    for cell in chunk.cells:
        m = _REF.match(cell.ref)
        if m:
            rows.setdefault(f"r{m.group(1)}", {})[int(m.group(2))] = cell
    return rows


def _code_grounded(code: str, cells: dict[int, ChunkCell]) -> ChunkCell | None:
    """The cell that prints the code: whole, split over 类/款/项 cells, or with its
    prefix left to the rows above (款 row printed `|40|`)."""
    digits = [(c, normalize_name(c.text)) for _, c in sorted(cells.items()) if normalize_name(c.text).isdigit()]
    for start in range(len(digits)):
        for end in range(start + 1, len(digits) + 1):
            joined = join_code([t for _, t in digits[start:end]])
            if joined == code or (start == 0 and len(joined) < len(code) and code.endswith(joined)):
                return digits[start][0]
    return None


def ground_rows(
    answer: list[RowOut], chunk: Chunk, columns: dict[int, str], table: str, unit: str
) -> Grounded:
    """Line items whose amounts sit in the answer's row, under the answer's column."""
    out = Grounded()
    key_col = {key: col for col, key in columns.items()}
    rows = _row_cells(chunk)
    for item in answer:
        cells_in_row = rows.get(item.row, {})
        sources: dict[str, CellSource] = {}
        flags: list[str] = []
        values: dict[str, str | None] = {}
        for key, value in item.values.items():
            values[key] = value
            if value is None:
                continue
            col = key_col.get(key)
            cell = cells_in_row.get(col) if col is not None else None
            printed = None
            if cell is not None:
                try:
                    printed = normalize_amount(cell.text)
                except ValueError:
                    printed = None
            if printed is not None and _dec(printed) == _dec(value):
                sources[f"values.{key}"] = _source(cell)
                values[key] = printed  # the printed digits, not the model's
                continue
            where = _cell_with_number(list(cells_in_row.values()), value)
            hint = f" (it is printed in column c{_REF.match(where.ref).group(2)})" if where else ""
            out.errors.append(f"row {item.row}: {key} = {value!r} is not printed in that row and column{hint}")
            flags.append(f"ungrounded:values.{key}")
            values[key] = None
        code = item.code
        if code is not None:
            cell = _code_grounded(code, cells_in_row)
            if cell is None:
                out.errors.append(f"row {item.row}: code {code!r} is not printed in that row")
                flags.append("ungrounded:code")
                code = None
            else:
                sources["code"] = _source(cell)
        name_cell = _cell_with_text(list(cells_in_row.values()), item.name) if item.name else None
        if item.name and name_cell is None:  # not this row's name (another table's, or invented): dropped
            out.dropped.append(f"row {item.row}: name {item.name!r} is not printed in that row")
            continue
        if name_cell is not None:
            sources["name"] = _source(name_cell)
        anchor = name_cell or next(iter(cells_in_row.values()), None)
        page = anchor.page if anchor else chunk.pages[0]
        out.line_items.append(
            LineItem(
                table=table,  # type: ignore[arg-type]
                code=code,
                name=normalize_name(item.name),
                values=values,
                unit=unit,  # type: ignore[arg-type]
                page=page,
                provenance=Provenance(chunk_id=chunk.id, method="llm", page=page,
                                      box=anchor.box if anchor else None, cells=sources),
                flags=flags or None,
            )
        )
    return out
