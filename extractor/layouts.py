"""Layouts: what each column of a table's header means, stored by the header's signature.

A layout is data: the table kind and one role per column, for a header identified by its
normalised column keys. The package ships the layouts people have checked
(`extractor/data/layouts.json`); accepted mappings (from the model, or from a person in the
correction queue) are learned into `<cache_dir>/layouts/learned.json`, so a header needs the
model once. `extractor layouts list|show|export|import` reviews and moves them.

Pure apart from `LayoutBook.load` / `save` (the only file I/O here).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from extractor.extract.indicators import LABEL_COLUMN, field_of_header, indicator_header_row
from extractor.files import write_atomic
from extractor.layout.headers import ROW_NUMBER_HEADERS, Column, Header
from extractor.layout.tables import Part, Table
from extractor.normalize import is_amount, normalize_name
from extractor.records import TABLE_KINDS
from extractor.vocabulary import (
    CODE_HEADERS,
    DRAFT_ID_WORDS,
    DRAFT_MONEY_WORDS,
    DRAFT_NAME_WORDS,
    DRAFT_TEXT_WORDS,
    DRAFT_UNIT_CODE_HEADERS,
    table_kind,
)

BUDGET_ROLES = ("code", "unitcode", "label", "amount", "other")
INDICATOR_ROLES = ("project", "level1", "level2", "name", "operator", "value", "unit", "target", "weight",
                   "direction", "other")
KINDS = (*TABLE_KINDS, "绩效目标表")
BODY_ROWS = 3  # body rows shown with the header: enough to tell codes, names and amounts apart


class HeaderBlock(BaseModel):
    """What a mapper sees of a table: its title, the text above, each column's header path
    and the first few body rows (cell texts per column)."""

    title: str = ""
    above: list[str] = Field(default_factory=list)
    columns: list[str] = Field(description="each column's header path, as printed ('预算数/合计')")
    rows: list[list[str]] = Field(default_factory=list, description="first body rows, one text per column")

    @property
    def signature(self) -> str:
        return signature(self.columns)

    def _head(self) -> list[str]:
        return [f"title: {self.title or '(none printed)'}"] + (["above: " + " / ".join(self.above)] if self.above else [])

    def render_columns(self) -> str:
        """One line per column: its number, its header and what its first rows print."""
        lines = self._head()
        for i, key in enumerate(self.columns):
            samples = [row[i] for row in self.rows if i < len(row) and row[i]]
            shown = ", ".join(s[:20] for s in samples[:2])  # two rows, long names cut: enough to tell roles apart
            lines.append(f"column {i}: header {key or '(none)'!r}; rows: {shown or '(empty)'}")
        return "\n".join(lines)

    def render(self) -> str:
        """The block as the model reads it: numbered columns, then the sample rows."""
        lines = self._head()
        lines.append("columns:")
        lines += [f"  {i}: {key or '(no header)'}" for i, key in enumerate(self.columns)]
        lines.append("first rows:")
        lines += ["  " + " | ".join(t or "·" for t in row) for row in self.rows]
        return "\n".join(lines)


class Layout(BaseModel):
    signature: str
    columns: list[str] = Field(description="the header paths the signature was made from")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    roles: list[str] = Field(description="one role per column (budget or indicator roles)")
    source: Literal["shipped", "model", "person"] = "model"
    note: str = ""
    learned: str | None = Field(default=None, description="when it was learned (UTC, ISO 8601)")


def signature(columns: list[str]) -> str:
    """A header's identity: its column keys normalised (whitespace, full-width forms, digits of
    years and table numbers do not matter), hashed."""
    norm = ["".join(ch for ch in normalize_name(c) if not ch.isdigit()) for c in columns]
    return hashlib.sha256("|".join(norm).encode("utf-8")).hexdigest()[:16]


def draft_roles(block: HeaderBlock) -> tuple[str, list[str]]:
    """The rules' reading of a header block, as a draft for the model to correct. Returns
    (kind guess, roles).

    An indicator table (its header names indicator fields, or its title a 绩效目标表): each
    field its role, a repeated header (a merged cell's second column) and anything else
    `other`. A budget table: unit codes and subject codes by header or digits, row numbers,
    then by header words (vocabulary) and what the rows print: money → `amount`, row names
    → `label`, other text → `other`."""
    lasts = [k.split("/")[-1] if k else "" for k in block.columns]
    fields = [field_of_header(x) if x else None for x in lasts]
    if "name" not in fields and "value" in fields:  # 活动 | 绩效指标 | 指标性质 | 指标值
        fields = ["name" if x in LABEL_COLUMN else f for x, f in zip(lasts, fields)]
    kind = table_kind(block.title)
    indicator = ("name" in fields and bool({"value", "operator", "level1", "level2"} & set(fields))) or kind == "绩效目标表"
    if indicator:
        return "绩效目标表", _indicator_draft(block.columns, fields)
    samples = [[row[i] for row in block.rows if i < len(row) and row[i]] for i in range(len(block.columns))]
    roles = [_budget_role(key, last, s) for key, last, s in zip(block.columns, lasts, samples)]
    # the leftmost text column names the rows (采购品目大类 | … : 合计, A-货物), whatever its header
    for i, role in enumerate(roles):
        if role in ("label", "code", "unitcode"):
            break
        if role == "other" and samples[i] and not any(is_amount(s) for s in samples[i]) \
                and lasts[i] not in ROW_NUMBER_HEADERS and not any(w in lasts[i] for w in DRAFT_ID_WORDS):
            roles[i] = "label"
            break
    return kind or "其他", roles


def _indicator_draft(columns: list[str], fields: list[str | None]) -> list[str]:
    roles: list[str] = []
    for i, f in enumerate(fields):
        repeated = i > 0 and columns[i] == columns[i - 1]  # a merged header cell over two columns
        roles.append(f if f in INDICATOR_ROLES and f not in roles and not repeated else "other")
    return roles


def _budget_role(key: str, last: str, samples: list[str]) -> str:
    money = any(w in last for w in DRAFT_MONEY_WORDS)
    text = any(w in last for w in DRAFT_TEXT_WORDS)
    if last in DRAFT_UNIT_CODE_HEADERS:
        return "unitcode"
    if last in CODE_HEADERS or (samples and all(s.isdigit() and len(s) in (3, 5, 7) for s in samples)):
        return "code"
    if last in ROW_NUMBER_HEADERS or _counting(samples):
        return "other"
    if samples and all(is_amount(s) for s in samples):
        return "other" if text and not money else "amount"
    if samples:
        return "label" if any(w in last for w in DRAFT_NAME_WORDS) and not text or not last else "other"
    if text or not key:
        return "other"
    return "amount" if money or not any(w in last for w in DRAFT_NAME_WORDS) else "label"


def _counting(samples: list[str]) -> bool:
    """Row numbers: 1, 2, 3 … (not whole amounts such as 0, 0, 25)."""
    if len(samples) < 2 or not all(s.isdigit() and len(s) <= 3 for s in samples):
        return False
    nums = [int(s) for s in samples]
    return all(b == a + 1 for a, b in zip(nums, nums[1:]))


def header_block(table: Table) -> HeaderBlock:
    """The block of the table's first page: its header rows (an indicator table's 指标 header
    row where it prints one) and the rows under them."""
    part = table.parts[0]
    grid, header = part.grid, part.header
    start, columns = header.header_rows, [c.key for c in header.columns]
    found = indicator_header_row(grid)
    if found is not None:
        start = found + 1
        columns = [normalize_name(grid.at(found, c).text) for c in range(grid.n_cols)]
    rows = []
    for r in range(start, min(grid.n_rows, start + BODY_ROWS)):
        rows.append([normalize_name(grid.at(r, c).text) if grid.at(r, c).row == r else "" for c in range(grid.n_cols)])
    return HeaderBlock(title=table.title, above=[ln.text for ln in table.context[-3:]], columns=columns, rows=rows)


def problems(table: Table, roles: list[str], kind: str) -> list[str]:
    """Why a budget-table mapping cannot be right for this table (empty when it may be):
    one role per column, amount columns hold amounts, something names the rows."""
    n = table.parts[0].grid.n_cols
    out: list[str] = []
    if kind == "绩效目标表":
        return out if len(roles) == n else [f"{len(roles)} roles for {n} columns"]
    if len(roles) != n:
        return [f"{len(roles)} roles for {n} columns"]
    bad = [r for r in roles if r not in BUDGET_ROLES]
    if bad:
        out.append(f"unknown roles {bad}")
    if "amount" not in roles:
        out.append("no amount column")
    if not {"label", "code"} & set(roles):
        out.append("nothing names the rows (no label or code column)")
    for part in table.parts:
        start = part.header.header_rows
        for cell in part.grid.cells:
            if cell.row >= start and cell.col < len(roles) and roles[cell.col] == "amount" and not cell.empty:
                if not is_amount(cell.text):
                    out.append(f"column {cell.col} is mapped to amounts but prints {cell.text.strip()[:20]!r} "
                               f"(p{part.grid.page})")
                    return out
    return out


def apply_layout(table: Table, layout: Layout) -> Table:
    """The table read with the layout's kind and column roles (keys stay as printed)."""

    def remap(header: Header) -> Header:
        cols = tuple(Column(c.index, c.key, layout.roles[c.index] if c.index < len(layout.roles) else c.role)  # type: ignore[arg-type]
                     for c in header.columns)
        return replace(header, columns=cols)

    return replace(table, kind=layout.kind, parts=[Part(p.grid, remap(p.header)) for p in table.parts])


class LayoutBook:
    """Shipped and learned layouts by signature; learned ones win (a person's fix overrides)."""

    def __init__(self, shipped: list[Layout] | None = None, learned: list[Layout] | None = None,
                 path: Path | None = None) -> None:
        self.shipped = {x.signature: x for x in shipped or []}
        self.learned = {x.signature: x for x in learned or []}
        self.path = path  # where learned layouts are saved; None: kept in memory only

    @classmethod
    def load(cls, cache_dir: Path | None) -> LayoutBook:
        shipped = _read(resources.files("extractor") / "data" / "layouts.json")
        path = cache_dir / "layouts" / "learned.json" if cache_dir is not None else None
        learned = _read(path) if path is not None and path.exists() else []
        return cls(shipped, learned, path)

    def find(self, sig: str) -> Layout | None:
        return self.learned.get(sig) or self.shipped.get(sig)

    def all(self) -> list[Layout]:
        return list({**self.shipped, **self.learned}.values())

    def learn(self, layout: Layout) -> None:
        stamped = layout if layout.learned else layout.model_copy(
            update={"learned": datetime.now(UTC).isoformat(timespec="seconds")})
        self.learned[layout.signature] = stamped
        if self.path is not None:
            self._save()

    def _save(self) -> None:
        """Write the learned layouts, merged with what other processes of the run learned
        meanwhile (read under a lock; what this process learned wins)."""
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            on_disk = {x.signature: x for x in _read(self.path)} if self.path.exists() else {}
            self.learned = {**on_disk, **self.learned}
            write_layouts(self.path, list(self.learned.values()))

    def merge(self, layouts: list[Layout]) -> tuple[int, int]:
        """Add layouts (an export from elsewhere): (added, replaced)."""
        added = replaced = 0
        for x in layouts:
            if x.signature in self.learned:
                replaced += self.learned[x.signature] != x
            else:
                added += 1
            self.learned[x.signature] = x
        if self.path is not None:
            self._save()
        return added, replaced


def _read(source) -> list[Layout]:  # a Path or an importlib Traversable
    data = json.loads(source.read_text(encoding="utf-8"))
    return [Layout.model_validate(x) for x in data.get("layouts", [])]


def read_layouts(path: Path) -> list[Layout]:
    return _read(path)


def write_layouts(path: Path, layouts: list[Layout]) -> None:
    """Written whole, or not at all (extractor.files)."""
    body = json.dumps({"layouts": [x.model_dump(mode="json") for x in sorted(layouts, key=lambda x: x.signature)]},
                      ensure_ascii=False, indent=1)
    write_atomic(path, body + "\n")
