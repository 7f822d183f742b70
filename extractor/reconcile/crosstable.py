"""The same quantity printed in two tables must agree — compared only within one scope.

Scopes: 支出总表 and the 收支总表's expenditure rows cover every fund; the fund tables
(一般公共预算支出表, 政府性基金…, 国有资本…) match their own column of the
财政拨款收支总表; 一般公共预算基本支出表 is the 基本支出 column of 一般公共预算支出表.
支出总表 and 一般公共预算支出表 are compared only when both claim the same scope: their
printed totals agree and they list the same classes (amounts are non-negative, so equal
totals mean every class is general-budget money). A kind printed twice is skipped.
"""

from __future__ import annotations

from extractor.records import ContractFile
from extractor.reconcile.balance import columns, income_total, spend_rows
from extractor.reconcile.cells import Cell, CellKey, half_unit, value_key, wan
from extractor.reconcile.columns import column_meanings
from extractor.reconcile.models import IdentityKind
from extractor.reconcile.spec import Spec
from extractor.reconcile.tables import TableRun, label, total_rows, unique_run
from extractor.reconcile.vocab import CARRY_LABEL, TABLE_FUND, meaning


def _classes(doc: ContractFile, run: TableRun) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i in run.rows:
        code = doc.line_items[i].code
        if code and len(code) == 3:
            if code in found:
                return None  # repeated per unit: which one is meant is not clear
            found[code] = i
    return found


def _total_row(doc: ContractFile, run: TableRun) -> int | None:
    rows = total_rows(doc, run)
    return rows[0] if len(rows) == 1 else None


def _meanings(doc: ContractFile, run: TableRun) -> dict[str, str]:
    return column_meanings(tuple(doc.line_items[run.rows[0]].values))


def _eq(doc: ContractFile, a: CellKey, b: CellKey, tables: tuple[str, str], why: str) -> Spec:
    la = label(doc.line_items[a.index], a.field[7:])
    lb = label(doc.line_items[b.index], b.field[7:])
    return Spec(IdentityKind.cross_table, tables, f"{la} = {lb} ({why})", (a,), (b,), f"cross|{tables[0]}~{tables[1]}")


def cross_table(doc: ContractFile, runs: list[TableRun], cells: dict[CellKey, Cell]) -> list[Spec]:
    specs: list[Spec] = []
    spend = unique_run(runs, "支出总表")
    general = unique_run(runs, "一般公共预算支出表")
    summary = unique_run(runs, "收支总表")
    fiscal = unique_run(runs, "财政拨款收支总表")
    if spend and summary:
        specs += _by_name(doc, spend, summary, None, "all funds")
    if fiscal:
        for kind, fund in TABLE_FUND.items():
            table = unique_run(runs, kind)
            if table:
                specs += _by_name(doc, table, fiscal, fund, f"{fund} fund",
                                  cells if _carried_in(doc, fiscal, cells) else None)
    if spend and general and _same_scope(doc, spend, general, cells):
        specs += _same_rows(doc, spend, general)
    basic = unique_run(runs, "一般公共预算基本支出表")
    if basic and general:
        specs += _basic_vs_general(doc, basic, general)
    income = unique_run(runs, "收入总表")
    if income and summary:
        specs += _income_vs_summary(doc, income, summary)
    return specs


def _carried_in(doc: ContractFile, run: TableRun, cells: dict[CellKey, Cell]) -> bool:
    """Does the income half print a non-zero carry-over (上年结转)?"""
    return any(
        r.role == "carry" and cells[value_key(r.index, col.key)].wan != 0
        for col in columns(doc, run) if col.side == "income" for r in col.rows
    )


def _by_name(doc: ContractFile, coded: TableRun, summary: TableRun, fund: str | None, why: str,
             scope_by_total: dict[CellKey, Cell] | None = None) -> list[Spec]:
    """类 rows of a coded table = the summary's expenditure rows with the same label.

    With a carry-over in the 财政拨款收支总表, regions differ on whether the fund table
    includes the spending it pays for (泽州: no; 重庆: yes): then the classes are compared
    only when the printed totals agree, and the totals themselves are not an identity.
    """
    classes, total_key = _classes(doc, coded), _meanings(doc, coded).get("total")
    if classes is None or total_key is None:
        return []
    names, year_total = spend_rows(doc, summary, fund)
    pair = (coded.name, summary.name)
    total = _total_row(doc, coded)
    if scope_by_total is not None:
        if total is None or not year_total:
            return []
        x, y = scope_by_total[value_key(total, total_key)], scope_by_total[value_key(*year_total)]
        if x.printed is None or y.printed is None or abs(x.wan - y.wan) > x.hu + y.hu:
            return []
        year_total = None
    specs = []
    for i in classes.values():
        found = names.get(doc.line_items[i].name)
        if found:
            specs.append(_eq(doc, value_key(i, total_key), value_key(*found), pair, why))
    if total is not None and year_total:
        specs.append(_eq(doc, value_key(total, total_key), value_key(*year_total), pair, why))
    return specs


def _same_scope(doc: ContractFile, a: TableRun, b: TableRun, cells: dict[CellKey, Cell]) -> bool:
    ta, tb = _total_row(doc, a), _total_row(doc, b)
    ka, kb = _meanings(doc, a).get("total"), _meanings(doc, b).get("total")
    ca, cb = _classes(doc, a), _classes(doc, b)
    if None in (ta, tb, ka, kb, ca, cb) or set(ca or ()) != set(cb or ()):
        return False
    x, y = cells[value_key(ta, ka)], cells[value_key(tb, kb)]  # type: ignore[arg-type]
    if x.printed is None or y.printed is None:
        return False
    gap = abs(wan(x.printed, x.unit) - wan(y.printed, y.unit))
    return gap <= half_unit(x.printed, x.unit) + half_unit(y.printed, y.unit)


def _same_rows(doc: ContractFile, a: TableRun, b: TableRun) -> list[Spec]:
    ma, mb = _meanings(doc, a), _meanings(doc, b)
    ca, cb = _classes(doc, a) or {}, _classes(doc, b) or {}
    rows = [(ca[c], cb[c]) for c in ca] + [(_total_row(doc, a), _total_row(doc, b))]
    specs = []
    for m in ("total", "basic", "project"):
        if m in ma and m in mb:
            for i, j in rows:
                specs.append(_eq(doc, value_key(i, ma[m]), value_key(j, mb[m]), (a.name, b.name), "single fund"))  # type: ignore[arg-type]
    return specs


def _basic_vs_general(doc: ContractFile, basic: TableRun, general: TableRun) -> list[Spec]:
    ta, tb = _total_row(doc, basic), _total_row(doc, general)
    if ta is None or tb is None:
        return []
    ma, mb = _meanings(doc, basic), _meanings(doc, general)
    pairs = [("total", "basic"), ("personnel", "personnel"), ("public", "public")]
    return [
        _eq(doc, value_key(ta, ma[x]), value_key(tb, mb[y]), (basic.name, general.name), "basic expenditure")
        for x, y in pairs
        if x in ma and y in mb
    ]


def _income_vs_summary(doc: ContractFile, income: TableRun, summary: TableRun) -> list[Spec]:
    total, key = _total_row(doc, income), _meanings(doc, income).get("total")
    if total is None or key is None:
        return []
    keys = doc.line_items[total].values
    with_carry = any(CARRY_LABEL.match(part) or meaning(part) == "carried" for k in keys for part in k.split("/"))
    other = income_total(doc, summary, with_carry)
    if other is None:
        return []
    return [_eq(doc, value_key(total, key), value_key(*other), (income.name, summary.name), "this year's income")]
