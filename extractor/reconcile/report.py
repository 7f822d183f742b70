"""A Reconciled, readable: identities per table, corrections with their proof, conflicts with figures."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from extractor.reconcile.models import Identity, Reconciled


def _num(d: Decimal | None) -> str:
    if d is None:
        return ""
    return format(d.normalize(), "f") if d == d.to_integral() or abs(d) < 1 else format(d, "f")


def _equation(ident: Identity) -> str:
    if ident.expected is None:
        return ident.detail or ""
    lhs = " + ".join(f.printed or "∅" for f in ident.figures if f.side == "lhs")
    rhs = " + ".join(f.printed or "∅" for f in ident.figures if f.side == "rhs")
    unit = "" if ident.kind == "weights" else " 万元"
    return f"{lhs} vs {rhs}  (Δ {_num(ident.difference)}{unit}, tol {_num(ident.tolerance)})"


def _per_table(rec: Reconciled) -> Table:
    t = Table(title="Identities per table", title_justify="left")
    for col in ("table", "checked", "hold", "rounding gaps", "violated"):
        t.add_column(col, justify="left" if col == "table" else "right")
    rows: dict[str, list[int]] = {}
    for ident in rec.identities:
        key = " ~ ".join(ident.tables)
        r = rows.setdefault(key, [0, 0, 0, 0])
        r[0] += 1
        r[1] += ident.holds
        r[2] += ident.holds and not ident.exact
        r[3] += not ident.holds
    for key, (n, ok, gaps, bad) in rows.items():
        t.add_row(key, str(n), str(ok), str(gaps), Text(str(bad), style="bold red" if bad else ""))
    return t


def render(rec: Reconciled) -> list[RenderableType]:
    doc, tot = rec.document.document, rec.totals
    by_id = {i.id: i for i in rec.identities}
    out: list[RenderableType] = [
        Text(f"{doc.file} — {doc.department or ''} {doc.year or ''} {doc.doc_type or ''}".strip(), style="bold"),
        Text(
            f"identities {tot.identities}: {tot.holding} hold ({tot.rounding_gaps} within rounding), "
            f"{tot.violated} violated · corrected {tot.corrected} · conflicts {tot.conflicts} · "
            f"inconsistent {tot.inconsistent} · tables all holding {tot.tables_all_holding}/{tot.tables_checked} "
            f"({tot.share_tables_all_holding:.0%}) · records {tot.records}"
        ),
        _per_table(rec),
    ]
    if rec.corrections:
        t = Table(title="Corrections", title_justify="left", show_lines=True)
        for col in ("cell", "old → new", "misreading", "proof"):
            t.add_column(col)
        for c in rec.corrections:
            proof = "\n".join(f"{i}: {by_id[i].description}  [{_equation(by_id[i])}]" for i in c.identities)
            moved = f"\n(moved from {c.moved_from.label})" if c.moved_from else ""
            t.add_row(c.ref.label, f"{c.old} → {c.new}{moved}", c.kind.value, proof)
        out.append(t)
    if rec.conflicts:
        t = Table(title="Conflicts and published inconsistencies", title_justify="left", show_lines=True)
        for col in ("status", "mismatch 万元", "identities", "why"):
            t.add_column(col)
        for c in rec.conflicts:
            lines = "\n".join(f"{i}: {by_id[i].description}  [{_equation(by_id[i])}]" for i in c.identities)
            why = c.reason + "".join(f"\n  candidate: {k.ref.label} {k.old} → {k.new} ({k.kind.value})"
                                     for k in c.candidates)
            style = "red" if c.status == "conflict" else "yellow"
            t.add_row(Text(c.status, style=style), _num(c.mismatch), lines, why)
        out.append(t)
    if rec.skipped:
        out.append(Text("Not asserted:\n" + "\n".join(f"  {s}" for s in rec.skipped), style="dim"))
    return out


def report(rec: Reconciled, width: int = 160) -> str:
    """Plain text of `render` (rich tables without colour), for logs and terminals."""
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    for part in render(rec):
        console.print(part)
    return console.export_text()
