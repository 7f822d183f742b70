"""reconcile(doc): check every identity, apply the fixes the arithmetic pins down, flag the rest.

Rounds: build identities from the current values, apply the uniquely determined repairs
(one fix, or a set of fixes to several cells applied together; never two repairs touching
the same identity in one round), repeat
until nothing changes. Then every record gets a status from the identities its
cells take part in.
"""

from __future__ import annotations

from collections import Counter

from extractor.normalize import normalize_name
from extractor.reconcile.cells import ZERO, CellKey, read_cells
from extractor.reconcile.fixes import Component, Fix, Layout, Repair, choose, table_tolerance
from extractor.reconcile.identities import build
from extractor.reconcile.models import (
    Candidate,
    CellRef,
    Conflict,
    Correction,
    Figure,
    Identity,
    Reconciled,
    Totals,
)
from extractor.reconcile.spec import Check, Workspace
from extractor.reconcile.tables import label, table_runs
from extractor.records import ContractFile, Status

MAX_ROUNDS = 20  # each round applies at least one fix; a bound, not a budget
_PRIORITY = {Status.unchecked: 0, Status.ok: 1, Status.inconsistent: 2, Status.corrected: 3, Status.conflict: 4}


def reconcile(doc: ContractFile, *, as_printed: bool = False) -> Reconciled:
    """A reconciled copy of `doc` with every identity checked; `doc` itself is not changed.

    `as_printed`: the values are known to be exactly as printed (hand-checked gold files),
    so nothing is corrected and every violated identity is a published inconsistency.
    Otherwise a record's provenance text decides that for each cell it covers.
    """
    work = doc.model_copy(deep=True)
    runs = table_runs(work)
    applied: list[tuple[Fix, dict[CellKey, str | None]]] = []
    for round_ in range(MAX_ROUNDS + 1):
        layout = Layout.of(work, runs, as_printed, frozenset(k for fix, _ in applied for k, _ in fix.changes))
        cells = table_tolerance(read_cells(work), layout)
        built = build(work, runs, cells)
        ws = Workspace(cells, built.specs, built.evals)
        repairs, comps = choose(ws, layout)
        repairs = _disjoint(ws, repairs)
        if not repairs or round_ == MAX_ROUNDS:
            break
        for repair in repairs:
            for fix in repair:
                applied.append((fix, {k: cells[k].printed for k, _ in fix.changes}))
                _apply(work, fix)
    return _result(work, ws, built.checks, built.skipped, comps, applied, layout)


def _disjoint(ws: Workspace, repairs: list[Repair]) -> list[Repair]:
    """Repairs that touch no identity in common (a repair of several cells stays whole)."""
    taken: set[int] = set()
    out = []
    for repair in repairs:
        touched = {i for fix in repair for k, _ in fix.changes for i in ws.by_cell.get(k, ())}
        if not touched & taken:
            taken |= touched
            out.append(repair)
    return out


def _apply(doc: ContractFile, fix: Fix) -> None:
    for key, new in fix.changes:
        if key.coll == "L":
            doc.line_items[key.index].values[key.field[7:]] = new
        else:
            doc.indicators[key.index].weight = new


def _ref(doc: ContractFile, key: CellKey) -> CellRef:
    if key.coll == "L":
        item = doc.line_items[key.index]
        return CellRef(collection="line_items", index=key.index, field=key.field, label=label(item, key.field[7:]))
    ind = doc.indicators[key.index]
    return CellRef(collection="indicators", index=key.index, field=key.field,
                   label=f"绩效 {ind.project or ind.scope} · {ind.name} [{key.field}]")


def _identity(doc: ContractFile, ws: Workspace, i: int, ident: str) -> Identity:
    spec, ev = ws.specs[i], ws.evals[i]
    figures = [
        Figure(ref=_ref(doc, k), side=side, printed=ws.cells[k].printed,
               unit=ws.cells[k].unit if k.coll == "L" else None,
               wan=None if ws.cells[k].printed is None else ws.cells[k].wan)
        for side, keys in (("lhs", spec.lhs), ("rhs", spec.rhs))
        for k in keys
    ]
    if spec.const:
        figures.insert(0, Figure(ref=None, side="lhs", printed=str(spec.const), wan=spec.const))
    return Identity(
        id=ident, kind=spec.kind, tables=list(spec.tables), description=spec.description, figures=figures,
        expected=ev.rhs, actual=ev.lhs, difference=ev.residual, tolerance=ev.tolerance,
        holds=ev.holds, exact=ev.residual == 0,
    )


def _check_identity(doc: ContractFile, check: Check, ident: str) -> Identity:
    figures = [
        Figure(ref=_ref(doc, k), side="lhs", printed=getattr(doc.indicators[k.index], k.field)) for k in check.keys
    ]
    return Identity(id=ident, kind=check.kind, tables=list(check.tables), description=check.description,
                    figures=figures, holds=check.holds, exact=check.holds, detail=check.detail or None)


def _text_confirms(doc: ContractFile, key: CellKey) -> bool:
    ind = doc.indicators[key.index]
    prov = ind.provenance
    if prov is None or key.field not in prov.cells or prov.cells[key.field].text is None:
        return False
    return normalize_name(prov.cells[key.field].text) == normalize_name(getattr(ind, key.field))


def _result(
    doc: ContractFile,
    ws: Workspace,
    checks: list[Check],
    skipped: list[str],
    comps: list[Component],
    applied: list[tuple[Fix, dict[CellKey, str | None]]],
    layout: Layout,
) -> Reconciled:
    ids: dict[int, str] = {}
    identities: list[Identity] = []
    for i, ev in enumerate(ws.evals):
        if not ev.vacuous:
            ids[i] = f"I{len(identities) + 1}"
            identities.append(_identity(doc, ws, i, ids[i]))
    check_ids = []
    for c in checks:
        check_ids.append(f"I{len(identities) + 1}")
        identities.append(_check_identity(doc, c, check_ids[-1]))

    cell_status: dict[CellKey, Status] = {}

    def mark(key: CellKey, status: Status) -> None:
        if _PRIORITY[status] > _PRIORITY.get(cell_status.get(key, Status.unchecked), 0):
            cell_status[key] = status

    flags: dict[tuple[str, int], list[str]] = {}

    def flag(key: CellKey, text: str) -> None:
        flags.setdefault((key.coll, key.index), []).append(text)

    for i in ids:
        for k in ws.specs[i].keys():
            mark(k, Status.ok)
    for c in checks:
        for k in c.keys:
            mark(k, Status.ok)

    corrections = []
    for fix, olds in applied:
        touched = sorted({ids[i] for k, _ in fix.changes for i in ws.by_cell.get(k, ()) if i in ids},
                         key=lambda s: int(s[1:]))
        new = dict(fix.changes)[fix.target]
        corrections.append(Correction(
            ref=_ref(doc, fix.target), old=olds[fix.target], new=new, kind=fix.kind,
            moved_from=_ref(doc, fix.source) if fix.source else None, identities=touched,
        ))
        for k, v in fix.changes:
            mark(k, Status.corrected)
            flag(k, f"corrected:{k.field}:{olds[k]}→{v} ({fix.kind.value}; {', '.join(touched)})")

    conflicts = [_conflict(doc, ws, comp, ids, layout, mark, flag) for comp in comps]
    for cid, c in zip(check_ids, checks):
        if c.holds:
            continue
        printed = layout.as_printed or (
            doc.indicators[c.keys[0].index].provenance is not None
            and all(_text_confirms(doc, k) for k in c.keys if getattr(doc.indicators[k.index], k.field) is not None)
        )
        status = Status.inconsistent if printed else Status.conflict
        for k in c.keys:
            mark(k, status)
            flag(k, f"{status.value}:{cid}")
        conflicts.append(Conflict(status=status.value, identities=[cid], refs=[_ref(doc, k) for k in c.keys],
                                  mismatch=ZERO, reason=c.detail))

    _set_statuses(doc, cell_status, flags)
    return Reconciled(document=doc, identities=identities, corrections=corrections, conflicts=conflicts,
                      skipped=skipped, totals=_totals(doc, identities, corrections, conflicts))


def _conflict(doc, ws: Workspace, comp: Component, ids: dict[int, str], layout: Layout, mark, flag) -> Conflict:
    names = [ids[i] for i in comp.specs if i in ids]
    mismatch = max(abs(ws.evals[i].residual) for i in comp.specs)
    confirmed = {k for k in comp.cells if layout.evidence(k)[0] == "confirmed"}
    if comp.rounding:
        status, reason = Status.inconsistent, "rounding-sized gap (within twice the rounding bound): kept as printed"
    elif confirmed == comp.cells:
        status, reason = Status.inconsistent, "printed so: the source text confirms every figure"
    else:
        status = Status.conflict
        n = len(comp.repairs)
        reason = comp.note or (f"{n} equally good repairs: not guessing" if n > 1
                               else "no typical misreading of up to three figures explains it")
    for k in comp.cells:
        s = Status.inconsistent if (status is Status.inconsistent or k in confirmed) else Status.conflict
        mark(k, s)
        flag(k, f"{s.value}:{','.join(names)}")
    cands = [
        Candidate(ref=_ref(doc, f.target), old=ws.cells[f.target].printed, new=dict(f.changes)[f.target], kind=f.kind)
        for f in comp.candidates
    ]
    refs = [_ref(doc, k) for k in sorted(comp.cells)]
    return Conflict(status=status.value, identities=names, refs=refs, mismatch=mismatch, reason=reason,
                    candidates=cands)


def _set_statuses(doc: ContractFile, cell_status: dict[CellKey, Status],
                  flags: dict[tuple[str, int], list[str]]) -> None:
    best: dict[tuple[str, int], Status] = {}
    for k, s in cell_status.items():
        rk = (k.coll, k.index)
        best[rk] = max(best.get(rk, Status.unchecked), s, key=_PRIORITY.__getitem__)
    for coll, records in (("L", doc.line_items), ("I", doc.indicators)):
        for i, rec in enumerate(records):
            rec.status = best.get((coll, i), Status.unchecked)
            extra = flags.get((coll, i))
            if extra:
                rec.flags = [*(rec.flags or []), *dict.fromkeys(extra)]


def _totals(doc: ContractFile, identities: list[Identity], corrections: list[Correction],
            conflicts: list[Conflict]) -> Totals:
    tables: dict[str, bool] = {}
    for ident in identities:
        for t in ident.tables:
            tables[t] = tables.get(t, True) and ident.holds
    records = Counter(r.status.value for r in [*doc.line_items, *doc.indicators] if r.status)
    held = sum(tables.values())
    return Totals(
        identities=len(identities),
        holding=sum(i.holds for i in identities),
        violated=sum(not i.holds for i in identities),
        rounding_gaps=sum(i.holds and not i.exact for i in identities),
        corrected=len(corrections),
        conflicts=sum(c.status == "conflict" for c in conflicts),
        inconsistent=sum(c.status == "inconsistent" for c in conflicts),
        records=dict(sorted(records.items())),
        tables_checked=len(tables),
        tables_all_holding=held,
        share_tables_all_holding=round(held / len(tables), 4) if tables else 1.0,
    )
