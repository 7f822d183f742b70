"""The reconciler's identities as findings: published rounding gaps listed with their
figures, and sums that do not hold (三公 parts, 基本支出 = 人员经费 + 公用经费, code
hierarchies, cross-table totals) with the cells they involve."""

from __future__ import annotations

from extractor.audit.models import AuditInput, Evidence, Finding
from extractor.reconcile.models import CellRef, Identity

_AMOUNT_KINDS = {"row_sum", "code_hierarchy", "table_total", "label_group", "balance", "cross_table"}


def _evidence(refs: list[CellRef], inp: AuditInput) -> list[Evidence]:
    out = []
    for ref in refs:
        records = inp.line_items if ref.collection == "line_items" else inp.indicators
        if ref.index >= len(records):
            continue
        item = records[ref.index]
        source = item.provenance.cells.get(ref.field) if item.provenance else None
        if source is not None:
            out.append(Evidence(page=source.page, box=source.box, text=source.text or ""))
        else:
            out.append(Evidence(page=item.page, box=item.provenance.box if item.provenance else None,
                                text=f"{item.name} {ref.field}"))
    return out


def _figures(ident: Identity) -> str:
    lhs = [f for f in ident.figures if f.side == "lhs"]
    rhs = [f for f in ident.figures if f.side == "rhs"]

    def show(fs) -> str:  # type: ignore[no-untyped-def]
        return " + ".join(f.printed if f.printed is not None else "blank" for f in fs) or "0"

    return f"{show(lhs)} vs {show(rhs)}"


def check_arithmetic(inp: AuditInput) -> list[Finding]:
    findings = []
    conflicted = {i for c in inp.conflicts for i in c.identities}
    for ident in inp.identities:
        if ident.holds and not ident.exact and ident.id not in conflicted:
            refs = [f.ref for f in ident.figures if f.ref]
            ev = _evidence(refs, inp)
            findings.append(Finding(
                kind="rounding_gap", severity="info",
                message=f"published rounding gap of {ident.difference} 万元: {ident.description} ({_figures(ident)})",
                pages=sorted({e.page for e in ev}), tables=ident.tables, evidence=ev))
    by_id = {i.id: i for i in inp.identities}
    indicator: dict[str, list] = {}  # reason → conflicts: one finding per kind of slip, not per record
    for conflict in inp.conflicts:
        idents = [by_id[i] for i in conflict.identities if i in by_id]
        described = "; ".join(f"{i.description} ({_figures(i)}, off by {i.difference})" for i in idents[:3])
        ev = _evidence(list(conflict.refs), inp)
        pages = sorted({e.page for e in ev})
        tables = sorted({t for i in idents for t in i.tables})
        if conflict.reason.startswith("rounding"):
            findings.append(Finding(kind="rounding_gap", severity="info",
                                    message=f"published rounding gap beyond the printed precision: {described}",
                                    pages=pages, tables=tables, evidence=ev))
            continue
        amounts = any(i.kind.value in _AMOUNT_KINDS for i in idents)
        if not amounts:
            indicator.setdefault(conflict.reason, []).append(conflict)
            continue
        severity = "error" if amounts and conflict.status == "inconsistent" else "warning"
        what = "the printed figures do not add up" if conflict.status == "inconsistent" else \
            "the figures do not add up, and no single misreading explains it (check the page)"
        fix = "; ".join(f"{k.ref.label}: {k.old} → {k.new}" for k in conflict.candidates[:3]) or None
        findings.append(Finding(kind="arithmetic", severity=severity,
                                message=f"{what}: {described}" + (f" — {conflict.reason}" if conflict.reason else ""),
                                pages=pages, tables=tables, evidence=ev, fix=fix))
    for reason, group in indicator.items():
        names = sorted({r.label.split(" [")[0] for c in group for r in c.refs})
        ev = [e for c in group for e in _evidence(list(c.refs), inp)]
        findings.append(Finding(kind="indicator", severity="warning",
                                message=f"{reason} ({len(names)} indicator(s): {'; '.join(names[:5])})",
                                pages=sorted({e.page for e in ev}), evidence=ev[:10]))
    return findings
