"""Column sums down a table: subject-code hierarchy, the 合计 row, "X/小计" label groups.

类 (3 digits) = Σ its 款 (5), 款 = Σ its 项 (7); economic 301 = Σ 301xx. A parent's
children are the next level of codes under it within one run of coded rows (a unit
row or a total row ends the run); if a deeper code has no parent at that level, the
listing is partial and the parent is not checked. The 合计 row = Σ top-level rows.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from extractor.normalize import to_decimal
from extractor.records import ContractFile
from extractor.reconcile.cells import decimals, value_key
from extractor.reconcile.models import IdentityKind
from extractor.reconcile.spec import Spec
from extractor.reconcile.tables import TableRun, label, total_rows
from extractor.reconcile.vocab import (
    NON_ADDITIVE,
    TABLE_TOTAL_LABEL,
    is_subset_part,
    is_total_part,
    meaning,
    numbering,
)

BALANCE_KINDS = {"收支总表", "财政拨款收支总表"}  # side-by-side halves: see balance.py
SKIP_KINDS = BALANCE_KINDS | {"其他"}


def _additive(keys: list[str]) -> list[str]:
    return [k for k in keys if not NON_ADDITIVE.search(k)]


def _segments(doc: ContractFile, run: TableRun) -> list[list[int]]:
    segments: list[list[int]] = [[]]
    for i in run.rows:
        if doc.line_items[i].code:
            segments[-1].append(i)
        elif segments[-1]:
            segments.append([])
    return [s for s in segments if s]


def _sum_spec(kind: IdentityKind, run: TableRun, desc: str, parent: int, children: list[int], key: str,
              rule: str) -> Spec:
    return Spec(
        kind=kind,
        tables=(run.name,),
        description=desc,
        lhs=(value_key(parent, key),),
        rhs=tuple(value_key(c, key) for c in children),
        family=f"{run.name}|{rule}",
    )


def _shared_keys(doc: ContractFile, rows: list[int]) -> list[str]:
    first = list(doc.line_items[rows[0]].values)
    return [k for k in _additive(first) if all(k in doc.line_items[r].values for r in rows)]


def code_hierarchy(doc: ContractFile, runs: list[TableRun]) -> list[Spec]:
    specs: list[Spec] = []
    for run in runs:
        if run.kind in SKIP_KINDS:
            continue
        for seg in _segments(doc, run):
            codes = {i: doc.line_items[i].code or "" for i in seg}
            repeated = {c for c, n in Counter(codes.values()).items() if n > 1}
            for parent in seg:
                pc = codes[parent]
                if pc in repeated:
                    continue
                desc = [j for j in seg if len(codes[j]) > len(pc) and codes[j].startswith(pc)]
                if not desc:
                    continue
                level = min(len(codes[j]) for j in desc)
                children = [j for j in desc if len(codes[j]) == level]
                child_codes = {codes[j] for j in children}
                if any(codes[j] in repeated for j in children) or any(
                    codes[j][:level] not in child_codes for j in desc
                ):
                    continue  # partial or repeated listing: not a sum we can assert
                item = doc.line_items[parent]
                for key in _shared_keys(doc, [parent, *children]):
                    specs.append(
                        _sum_spec(
                            IdentityKind.code_hierarchy, run,
                            f"{label(item, key)} = Σ {len(children)} rows {pc}xx",
                            parent, children, key, "code_hierarchy",
                        )
                    )
    return specs


def _plain_rows(doc: ContractFile, rows: list[int]) -> bool:
    """Rows with no numbering, no 其中 and no subtotal labels: disjoint items of one level."""
    for i in rows:
        name = doc.line_items[i].name
        if numbering(name)[0] is not None or is_subset_part(name) or name.endswith(("小计", "合计", "总计")):
            return False
    return True


def _has_printed_parent(code: str, printed: set[str | None]) -> bool:
    return any(code[:n] in printed for n in (3, 5) if n < len(code))


def table_totals(doc: ContractFile, runs: list[TableRun]) -> list[Spec]:
    specs: list[Spec] = []
    for run in runs:
        if run.kind in SKIP_KINDS:
            continue
        totals = total_rows(doc, run)
        if len(totals) != 1:
            continue
        total = totals[0]
        coded = [i for i in run.rows if doc.line_items[i].code]
        others = [i for i in run.rows if i != total and not doc.line_items[i].code]
        if coded:
            # top level: rows whose parent code (3 or 5 digits) is not printed in the table
            # (北京 prints 30101 and 3021101 side by side with no 301, 302 or 30211 row)
            printed = {doc.line_items[i].code for i in coded}
            top = [i for i in coded if not _has_printed_parent(doc.line_items[i].code or "", printed)]
            specs += _unit_rows(doc, run, top)
        elif run.kind == "三公经费表" and (by_rows := _sangong_rows(doc, run, total, others)):
            specs += by_rows
            continue
        elif (tree := _nested(doc, total, others)) is not None:
            # rows heading the rows after them (货物 → 苏州市审计局 → items; unit → its projects)
            specs += _tree_specs(doc, run, tree)
            top = [head for head, _ in tree]
        elif (others and all("/" not in doc.line_items[i].name for i in others) and _plain_rows(doc, others)
              and len(_shared_keys(doc, [total, *others])) >= 2 and not _chain(doc, total, others)):
            # Without codes nothing says the rows are one level (项目支出表: unit → sub-unit →
            # projects); with several columns the guard drops the rule if they are not.
            top = [i for i in others if any(v is not None for v in doc.line_items[i].values.values())]
            # A department row restating the total heads its units (合计 | 西安市统计局 | 3 units):
            # it is a level, not a part, when the other rows print figures of their own.
            restating = [i for i in top if doc.line_items[i].values == doc.line_items[total].values]
            if restating and len(top) - len(restating) >= 2:
                top = [i for i in top if i not in restating]
        else:
            specs += _label_groups(doc, run, total, others)
            continue
        if not top:
            continue
        item = doc.line_items[total]
        for key in _shared_keys(doc, [total, *top]):
            specs.append(
                _sum_spec(IdentityKind.table_total, run, f"{label(item, key)} = Σ {len(top)} top-level rows",
                          total, top, key, "table_total")
            )
    return specs


def _amount(doc: ContractFile, i: int, key: str) -> Decimal:
    return to_decimal(doc.line_items[i].values.get(key)) or Decimal(0)


Tree = list[tuple[int, "Tree"]]


def _nested(doc: ContractFile, total: int, others: list[int]) -> Tree | None:
    """Rows listed without codes whose flat sum misses the total because some rows head the
    rows after them (货物 → 苏州市审计局 → 复印纸, 计算机; a unit → its projects): the tree
    in which every head equals the rows it heads and the top rows add up to the total. None
    when the flat sum holds or no such tree exists. Judged on the first shared column."""
    rows = [i for i in others if any(v is not None for v in doc.line_items[i].values.values())]
    keys = _shared_keys(doc, [total, *rows])
    if len(rows) < 3 or not keys:
        return None
    key = keys[0]
    places = max(decimals(doc.line_items[i].values.get(key) or "") for i in [total, *rows])
    half = Decimal(1).scaleb(-places) / 2  # rounding each printed summand may hide
    values = [_amount(doc, i, key) for i in rows]
    target = _amount(doc, total, key)
    if abs(sum(values, Decimal(0)) - target) <= half * len(rows):
        return None

    def level(pos: int, want: Decimal, depth: int) -> tuple[int, Tree] | None:
        """Rows from `pos` that add up to `want`, each a leaf or the head of its own level."""
        acc, out = Decimal(0), []
        while pos < len(rows) and acc < want - half * (len(out) + 1):
            sub = level(pos + 1, values[pos], depth + 1) if depth < 3 and values[pos] else None
            out.append((rows[pos], sub[1] if sub else []))
            acc += values[pos]
            pos = sub[0] if sub else pos + 1
        return (pos, out) if out and abs(acc - want) <= half * len(out) else None

    found = level(0, target, 0)
    return found[1] if found is not None and found[0] == len(rows) else None


def _tree_specs(doc: ContractFile, run: TableRun, tree: Tree) -> list[Spec]:
    specs: list[Spec] = []
    for head, members in tree:
        if members:
            parts = [m for m, _ in members]
            specs += [_sum_spec(IdentityKind.table_total, run, f"{label(doc.line_items[head], key)} = Σ the rows it heads",
                                head, parts, key, "nested_rows")
                      for key in _shared_keys(doc, [head, *parts])]
            specs += _tree_specs(doc, run, members)
    return specs


def _chain(doc: ContractFile, total: int, others: list[int]) -> bool:
    """合计, department, unit… all printing the same figures: nested levels, not parts."""
    return len(others) > 1 and all(doc.line_items[i].values == doc.line_items[total].values for i in others)


def _sangong_rows(doc: ContractFile, run: TableRun, total: int, others: list[int]) -> list[Spec]:
    """三公 printed with its items as rows (因公出国 / 公务接待 / 公务用车…, ①购置 ②运行)."""
    rows: dict[str, list[int]] = {}
    for i in others:
        m = meaning(numbering(doc.line_items[i].name)[1])
        if m:
            rows.setdefault(m, []).append(i)
    one = {m: idx[0] for m, idx in rows.items() if len(idx) == 1}
    if not {"abroad", "car", "reception"} <= set(one) or len(one) != len(rows):
        return []
    sums = [(total, [one["abroad"], one["car"], one["reception"]], "合计 = 出国 + 公务用车 + 接待")]
    if {"car_buy", "car_run"} <= set(one):
        sums.append((one["car"], [one["car_buy"], one["car_run"]], "公务用车 = 购置 + 运行"))
    return [
        _sum_spec(IdentityKind.table_total, run, f"{label(doc.line_items[lhs], key)}: {what}", lhs, parts, key,
                  "sangong_rows")
        for lhs, parts, what in sums
        for key in _shared_keys(doc, [lhs, *parts])
    ]


def _unit_rows(doc: ContractFile, run: TableRun, top: list[int]) -> list[Spec]:
    """A unit row (江油市司法局) heading coded rows = Σ the top-level rows under it."""
    specs: list[Spec] = []
    rows = list(run.rows)
    for pos, i in enumerate(rows):
        item = doc.line_items[i]
        if item.code or TABLE_TOTAL_LABEL.match(item.name) or pos + 1 >= len(rows):
            continue
        if not doc.line_items[rows[pos + 1]].code or all(v is None for v in item.values.values()):
            continue
        under = []
        for j in rows[pos + 1 :]:
            if not doc.line_items[j].code:
                break
            if j in top:
                under.append(j)
        for key in _shared_keys(doc, [i, *under]) if under else []:
            specs.append(_sum_spec(IdentityKind.table_total, run, f"{label(item, key)} = Σ its top-level rows",
                                   i, under, key, "unit_total"))
    return specs


def _label_groups(doc: ContractFile, run: TableRun, total: int, others: list[int]) -> list[Spec]:
    """Rows named "X/小计", "X/…": the group's 小计 = Σ its members; the total = Σ groups."""
    groups: dict[str, list[int]] = {}
    plain: list[int] = []
    for i in others:
        name = doc.line_items[i].name
        if "/" in name:
            groups.setdefault(name.split("/", 1)[0], []).append(i)
        else:
            plain.append(i)
    if not groups or not _plain_rows(doc, plain):
        return []
    specs: list[Spec] = []
    top: list[int] = list(plain)
    for group, members in groups.items():
        heads = [i for i in members if is_total_part(doc.line_items[i].name.split("/")[-1])]
        parts = [i for i in members if i not in heads and not is_subset_part(doc.line_items[i].name.split("/")[-1])]
        if len(heads) > 1:
            return []
        if heads:
            top.append(heads[0])
            for key in _shared_keys(doc, [heads[0], *parts]) if parts else []:
                specs.append(_sum_spec(IdentityKind.label_group, run,
                                       f"{label(doc.line_items[heads[0]], key)} = Σ {group}/…", heads[0], parts, key,
                                       "label_group"))
        else:
            top.extend(parts)
    item = doc.line_items[total]
    for key in _shared_keys(doc, [total, *top]) if top else []:
        specs.append(_sum_spec(IdentityKind.table_total, run, f"{label(item, key)} = Σ groups",
                               total, top, key, "table_total"))
    return specs
