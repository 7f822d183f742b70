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
from extractor.audit.narrative import check_claims, check_directions, prose


def audit(inp: AuditInput) -> Audit:
    text = prose(inp.lines)
    claims, claim_findings = check_claims(inp, text)
    findings = [
        *check_tables(inp),
        *claim_findings,
        *check_directions(inp, text),
        *check_years(inp),
        *check_names(inp),
        *check_arithmetic(inp),
        *check_headers(inp),
    ]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.pages[:1] or [0]))
    return Audit(findings=findings, tables=inp.tables, claims=claims)


__all__ = ["Audit", "AuditInput", "Claim", "Evidence", "Finding", "TableSeen", "TextLine", "audit"]
