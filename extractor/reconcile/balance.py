"""收支总表 / 财政拨款收支总表: the balance of the two halves, by row label.

Each half (income, expenditure; told apart by the first header part) is read per
value column, top to bottom. Rows are recognised by label only: a grand total
(收入总计/总计, or 合计 when no 总计 is printed), this year's subtotal (本年收入合计,
当年收入小计, "一、本年收入"), carry-over rows (上年结转, 年初结转和结余, 结转下年 …) and
numbered items (一、 (一) 1、). Identities, each only where its rows are found:
- a numbered row = Σ the rows numbered one level below it (一、财政拨款 = 1.+2.+3.);
- the subtotal = Σ the top-level items above it;
- the grand total = subtotal + carry-over rows (or Σ items + carry-over without one);
- income grand total = expenditure grand total.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.records import ContractFile
from extractor.reconcile.cells import value_key
from extractor.reconcile.columns import column_meanings
from extractor.reconcile.models import IdentityKind
from extractor.reconcile.spec import Spec
from extractor.reconcile.tables import TableRun, label
from extractor.reconcile.vocab import (
    AMBIGUOUS_TOTAL_LABEL,
    CARRY_LABEL,
    GRAND_LABEL,
    SUB_LABEL,
    is_subset_part,
    numbering,
    side_of,
)

BALANCE_KINDS = ("收支总表", "财政拨款收支总表")


@dataclass(frozen=True, slots=True)
class Row:
    index: int
    level: int | None
    bare: str
    role: str  # grand | sub | carry | item


@dataclass(frozen=True, slots=True)
class Column:
    """One value column of one half: its rows in order."""

    side: str
    key: str
    rows: tuple[Row, ...]

    def role(self, role: str) -> list[Row]:
        return [r for r in self.rows if r.role == role]


def _printed_x(doc: ContractFile, i: int, key: str) -> float | None:
    prov = doc.line_items[i].provenance
    src = prov.cells.get(f"values.{key}") if prov else None
    return src.box[0] if src is not None and src.box is not None else None


def _split_halves(doc: ContractFile, key: str, idx: list[int]) -> list[list[int]]:
    """Rows of one value key, split into the halves that print it side by side: 西安's
    收支总表 prints 支出/预算数 three times (by function, by two economic classes). Split only
    where one page prints the key in several places; halves are told by the cell's x."""
    xs = {i: _printed_x(doc, i, key) for i in idx}
    pages: dict[int, set[int]] = {}
    for i, x in xs.items():
        if x is not None:
            pages.setdefault(doc.line_items[i].page, set()).add(round(x / 4))
    if not pages or max(len(v) for v in pages.values()) < 2:
        return [idx]
    groups: dict[int, list[int]] = {}
    for i in idx:
        x = xs[i]
        slot = round(x / 4) if x is not None else -1
        near = next((g for g in groups if abs(g - slot) <= 1), slot)
        groups.setdefault(near, []).append(i)
    return [groups[g] for g in sorted(groups)]


def columns(doc: ContractFile, run: TableRun) -> list[Column]:
    by: dict[tuple[str, str], list[int]] = {}
    for i in run.rows:
        for key in doc.line_items[i].values:
            side = side_of(key)
            if side:
                by.setdefault((side, key), []).append(i)
    out = []
    for (side, key), idx in [((s, k), part) for (s, k), rows in by.items() for part in _split_halves(doc, k, rows)]:
        named = [(i, *numbering(doc.line_items[i].name)) for i in idx]
        has_grand = any(GRAND_LABEL.match(b) for _, _, b in named)
        rows = []
        for i, level, bare in named:
            if GRAND_LABEL.match(bare) or (AMBIGUOUS_TOTAL_LABEL.match(bare) and not has_grand and level is None):
                role = "grand"
            elif SUB_LABEL.match(bare) or (AMBIGUOUS_TOTAL_LABEL.match(bare) and has_grand):
                role = "sub"
            elif CARRY_LABEL.match(bare):
                role = "carry"
            else:
                role = "item"
            rows.append(Row(i, level, bare, role))
        out.append(Column(side, key, tuple(rows)))
    return out


def _spec(run: TableRun, desc: str, total: int, parts: list[int], key: str, rule: str,
          part_key: str | None = None) -> Spec:
    return Spec(
        kind=IdentityKind.balance,
        tables=(run.name,),
        description=desc,
        lhs=(value_key(total, key),),
        rhs=tuple(value_key(p, part_key or key) for p in parts),
        family=f"{run.name}|balance|{rule}",
    )


def _children(col: Column, pos: int) -> list[Row]:
    """Rows numbered below rows[pos], up to the next row at its level or an unnumbered row."""
    parent = col.rows[pos]
    below: list[Row] = []
    for r in col.rows[pos + 1 :]:
        if r.level is None or (parent.level is not None and r.level <= parent.level):
            break
        below.append(r)
    if not below:
        return []
    top = min(r.level or 0 for r in below)
    return [r for r in below if r.level == top and not is_subset_part(r.bare)]


def _top_items(rows: list[Row]) -> list[Row]:
    numbered = [r for r in rows if r.role == "item" and r.level is not None]
    if not numbered:
        return []
    top = min(r.level or 0 for r in numbered)
    return [r for r in numbered if r.level == top]


def balance(doc: ContractFile, runs: list[TableRun]) -> list[Spec]:
    specs: list[Spec] = []
    for run in runs:
        if run.kind not in BALANCE_KINDS:
            continue
        cols = columns(doc, run)
        for col in cols:
            specs += _column_specs(doc, run, col)
        specs += _halves_agree(doc, run, cols)
    return specs


def _column_specs(doc: ContractFile, run: TableRun, col: Column) -> list[Spec]:
    specs: list[Spec] = []
    items = doc.line_items
    for pos, row in enumerate(col.rows):
        if row.level is None or row.role == "grand":
            continue
        kids = _children(col, pos)
        if kids:
            specs.append(_spec(run, f"{label(items[row.index], col.key)} = Σ its numbered sub-items",
                               row.index, [k.index for k in kids], col.key, f"{col.side}|numbered"))
    subs, grands = col.role("sub"), col.role("grand")
    carries = [r for r in col.rows if r.role == "carry"]
    first_break = next((p for p, r in enumerate(col.rows) if r.role in ("sub", "carry")), len(col.rows))
    if len(subs) == 1 and subs[0].level is None:
        pos = col.rows.index(subs[0])
        top = _top_items(list(col.rows[:pos]))
        if top:
            specs.append(_spec(run, f"{label(items[subs[0].index], col.key)} = Σ top-level items above it",
                               subs[0].index, [r.index for r in top], col.key, f"{col.side}|subtotal"))
    if len(grands) == 1 and len(subs) <= 1:
        grand = grands[0]
        before = [r for r in carries if col.rows.index(r) < col.rows.index(grand)]
        base = [subs[0]] if subs else _top_items(list(col.rows[:first_break]))
        if base:
            what = "this year's subtotal" if subs else "top-level items"
            specs.append(_spec(run, f"{label(items[grand.index], col.key)} = {what} + {len(before)} carry-over rows",
                               grand.index, [r.index for r in base + before], col.key, f"{col.side}|grand"))
    return specs


def _grand_key(cols: list[Column], side: str, doc: ContractFile) -> tuple[int, str] | None:
    """The grand-total cell of one half: its only column with a grand total, or that half's 合计 column."""
    found = [(c.role("grand")[0].index, c.key) for c in cols if c.side == side and len(c.role("grand")) == 1]
    if len(found) == 1:
        return found[0]
    totals = [(i, k) for i, k in found if column_meanings(tuple(doc.line_items[i].values)).get("total") == k]
    return totals[0] if len(totals) == 1 else None


def _halves_agree(doc: ContractFile, run: TableRun, cols: list[Column]) -> list[Spec]:
    income, spend = _grand_key(cols, "income", doc), _grand_key(cols, "spend", doc)
    if not income or not spend:
        return []
    return [
        Spec(
            kind=IdentityKind.balance,
            tables=(run.name,),
            description=f"{label(doc.line_items[income[0]], income[1])} = {label(doc.line_items[spend[0]], spend[1])}",
            lhs=(value_key(*income),),
            rhs=(value_key(*spend),),
            family=f"{run.name}|balance|halves",
        )
    ]


Cell = tuple[int, str]  # (record index, value key)


def spend_rows(doc: ContractFile, run: TableRun, key_meaning: str | None) -> tuple[dict[str, Cell], Cell | None]:
    """For cross-table checks: expenditure rows by bare label → (record, key), and this year's total.

    `key_meaning` picks the fund column of a 财政拨款收支总表 ("general", "total"…); None
    takes a half with a single value column.
    """
    by_name: dict[str, list[tuple[int, str]]] = {}
    year_total: list[tuple[int, str]] = []
    for col in columns(doc, run):
        if col.side != "spend":
            continue
        rows = col.rows
        if key_meaning is not None:
            meanings = column_meanings(tuple(doc.line_items[rows[0].index].values))
            if meanings.get(key_meaning) != col.key:
                continue
        elif len(doc.line_items[rows[0].index].values) != 1:
            continue
        for r in rows:
            if r.role == "item":
                by_name.setdefault(r.bare, []).append((r.index, col.key))
        subs, grands, carries = col.role("sub"), col.role("grand"), col.role("carry")
        if len(subs) == 1:
            year_total.append((subs[0].index, col.key))
        elif not subs and not carries and len(grands) == 1:
            year_total.append((grands[0].index, col.key))
    unique = {name: found[0] for name, found in by_name.items() if len(found) == 1}
    return unique, (year_total[0] if len(year_total) == 1 else None)


def income_total(doc: ContractFile, run: TableRun, with_carry: bool) -> tuple[int, str] | None:
    """The income half's total: this year's (本年收入合计) or, with carry-over, the grand total."""
    found = []
    for col in columns(doc, run):
        if col.side != "income":
            continue
        subs, grands, carries = col.role("sub"), col.role("grand"), col.role("carry")
        if with_carry and len(grands) == 1:
            found.append((grands[0].index, col.key))
        elif not with_carry and len(subs) == 1:
            found.append((subs[0].index, col.key))
        elif not with_carry and not subs and not carries and len(grands) == 1:
            found.append((grands[0].index, col.key))
    return found[0] if len(found) == 1 else None
