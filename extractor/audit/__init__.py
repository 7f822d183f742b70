"""The document audit: is the disclosure complete, and does it contradict itself?

Pure functions over an `AuditInput` (the tables as found, the records, the reconciler's
identities and the text printed outside the tables); `audit` joins them. Findings carry a
kind, a severity (error: proven wrong in the document; warning: a person should look;
info: worth knowing), the pages and tables, and the printed text they rest on.
"""

from __future__ import annotations

from extractor.audit.arithmetic import check_arithmetic
from extractor.audit.completeness import check_tables
from extractor.audit.consistency import check_headers, check_names, check_years
from extractor.audit.models import SEVERITIES, Audit, AuditInput, Claim, Evidence, Finding, TableSeen, TextLine
from extractor.audit.narrative import check_breakdowns, check_claims, check_directions, check_rates, prose
from extractor.reconcile.models import Reconciled


def audit(inp: AuditInput) -> Audit:
    text = prose(inp.lines)
    claims, claim_findings = check_claims(inp, text)
    findings = [
        *check_tables(inp),
        *claim_findings,
        *check_directions(inp, text),
        *check_rates(text),
        *check_breakdowns(text),
        *check_years(inp),
        *check_names(inp),
        *check_arithmetic(inp),
        *check_headers(inp),
    ]
    ocr = set(inp.ocr_pages)
    for f in findings:  # on a scanned page the text may be misread: a person decides, the audit does not
        if f.severity == "error" and ocr & set(f.pages):
            f.severity = "warning"
            f.message += " (read by OCR on a page it rests on: check the page)"
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.pages[:1] or [0]))
    return Audit(findings=findings, tables=inp.tables, claims=claims)


def from_records(rec: Reconciled) -> AuditInput:
    """What a contract file alone tells the audit (one from another tool, or a gold file):
    its records, their identities and the tables they name; no narrative, no 目录."""
    doc = rec.document
    pages: dict[str, set[int]] = {}
    for item in doc.line_items:
        pages.setdefault(item.table, set()).add(item.page)
    tables = [TableSeen(id=kind, kind=kind, title=kind, pages=sorted(p)) for kind, p in pages.items()]
    return AuditInput(document=doc.document, tables=tables, line_items=doc.line_items, indicators=doc.indicators,
                      lines=[], identities=rec.identities, conflicts=rec.conflicts, corrections=rec.corrections)


__all__ = ["from_records", "Audit", "AuditInput", "Claim", "Evidence", "Finding", "TableSeen", "TextLine", "audit"]
