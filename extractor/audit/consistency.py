"""A document consistent with itself: its year in titles and headers, its department
across pages, no template text left in, header wording against the template."""

from __future__ import annotations

import re

from extractor.audit.models import AuditInput, Evidence, Finding
from extractor.dataset import column_role
from extractor.normalize import normalize_name
from extractor.vocabulary import (
    DEPARTMENT_QUALIFIER,
    HEADER_YEAR,
    PLACEHOLDER,
    PLACEHOLDER_FIELD,
    STANDARD_TABLES,
    TABLE_TITLE_YEAR,
    TITLE_YEAR,
    YEAR,
)


def check_years(inp: AuditInput) -> list[Finding]:
    """A standard table titled with another year than the document's; a header year that
    is neither the year nor 上年 (year − 1)."""
    year = inp.document.year
    if not year:
        return []
    findings = []
    titled: set[tuple[int, str]] = set()
    for t in inp.tables:
        if t.kind is None:
            continue
        m = YEAR.search(t.title)
        if m and int(m.group(1)) != year:
            titled.add((t.pages[0], normalize_name(t.title)))
            findings.append(Finding(kind="year_mismatch", severity="error" if t.kind in STANDARD_TABLES else "warning",
                                    message=f"{t.kind} is titled {m.group(1)}年 in a {year} document: '{t.title}'",
                                    pages=t.pages, tables=[t.kind],
                                    evidence=[Evidence(page=t.pages[0], box=t.title_box, text=t.title)]))
        if t.kind not in STANDARD_TABLES:
            continue
        odd = sorted({y for h in t.headers for y in map(int, HEADER_YEAR.findall(h)) if y not in (year, year - 1)})
        if odd:
            findings.append(Finding(kind="year_mismatch", severity="warning",
                                    message=f"{t.kind} headers name {', '.join(map(str, odd))}, neither {year} nor "
                                            f"上年 {year - 1}",
                                    pages=t.pages, tables=[t.kind]))
    for ln in inp.lines:
        text = normalize_name(ln.text)
        m = TITLE_YEAR.search(text) or TABLE_TITLE_YEAR.match(text)
        if m is None or (ln.page, text) in titled:
            continue
        named = int(next(g for g in m.groups() if g))
        if named != year:
            heading = (m.re is TITLE_YEAR and len(text) <= 40
                       and len(text) - m.end() <= 8)  # "…2026年度部门预算公开", not a sentence
            findings.append(Finding(kind="year_mismatch", severity="error" if heading else "warning",
                                    message=f"'{text[:60]}' names {named} in a {year} document",
                                    pages=[ln.page], evidence=[Evidence(page=ln.page, box=ln.box, text=ln.text)]))
    return findings


def _bare(name: str) -> str:
    return DEPARTMENT_QUALIFIER.sub("", normalize_name(name))


def check_names(inp: AuditInput) -> list[Finding]:
    """Template text left in (a department field reading XX or （盖章）, 20XX年) and a
    department named differently on a table's page."""
    findings = []
    seen: dict[str, Finding] = {}  # one finding per placeholder text, with every page it is on
    for ln in inp.lines:
        text = normalize_name(ln.text)
        field = PLACEHOLDER_FIELD.search(text)
        loose = PLACEHOLDER.search(text)
        if not (field or loose):
            continue
        what = field.group(0) if field else loose.group(0)  # type: ignore[union-attr]
        if what in seen:
            seen[what].pages.append(ln.page)
            seen[what].evidence.append(Evidence(page=ln.page, box=ln.box, text=ln.text))
            continue
        # a name or figure left as XX is wrong; a field that holds only （盖章） is where the stamp goes
        stamp = field is not None and "盖章" in field.group("value")
        seen[what] = Finding(kind="placeholder", severity="error" if field and not stamp else "warning",
                             message=f"template text left in: '{what}'" + (
                                 " (the department's name is not printed in the field)" if stamp else ""),
                             pages=[ln.page], evidence=[Evidence(page=ln.page, box=ln.box, text=ln.text)])
        findings.append(seen[what])
    seen_pages = {f.pages[0] for f in findings}
    dept = inp.document.department
    for t in inp.tables:
        name = t.department
        if not name:
            continue
        if PLACEHOLDER.search(name) and t.pages[0] not in seen_pages:
            findings.append(Finding(kind="placeholder", severity="error",
                                    message=f"{t.kind or t.title}: the department reads '{name}'",
                                    pages=t.pages, tables=[t.kind] if t.kind else []))
        elif dept and _bare(name) not in _bare(dept) and _bare(dept) not in _bare(name) and len(_bare(name)) >= 4:
            findings.append(Finding(kind="department_mismatch", severity="info",
                                    message=f"{t.kind or t.title} names the department '{name}', the document "
                                            f"'{dept}' (a sub-unit's table, or a name left from another document)",
                                    pages=t.pages, tables=[t.kind] if t.kind else []))
    return findings


def check_headers(inp: AuditInput) -> list[Finding]:
    """Amount columns of the standard tables whose printed wording the template does not
    know (info: read as printed, but not matched to a standard role)."""
    findings = []
    for t in inp.tables:
        if t.kind not in STANDARD_TABLES:
            continue
        odd = [h for h in t.headers if column_role(h)[0] is None and not re.search(r"\d{4}|%|％|增减|比", h)]
        if odd:
            findings.append(Finding(kind="header_wording", severity="info",
                                    message=f"{t.kind}: header wording outside the template: " + ", ".join(odd[:6]),
                                    pages=t.pages, tables=[t.kind]))
    return findings
