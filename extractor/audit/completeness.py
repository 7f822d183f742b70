"""The tables a disclosure must have: the national template's, for its doc_type, held
against the tables found and the document's own table of contents (目录)."""

from __future__ import annotations

import re

from extractor.audit.models import AuditInput, Evidence, Finding, TableSeen, TextLine
from extractor.vocabulary import (
    COVERED_BY_TITLE,
    REQUIRED_TABLES,
    TABLE_CHECKS,
    TEMPLATE_NAMES,
    TITLE_HINT,
    TOC_ENTRY,
    TOC_LINE,
    table_kind,
)

MIN_SET = 3  # a document with fewer of the standard tables is not a table set (a 情况说明 alone)


def _kind_of_line(text: str) -> str | None:
    m = TOC_ENTRY.match(re.sub(r"\s+", "", text))
    title = m.group("title") if m else text
    return table_kind(title) if TITLE_HINT.search(title) or "表" in title else None


def contents(lines: list[TextLine]) -> tuple[dict[str, TextLine], set[int]]:
    """The table kinds the 目录 lists (kind → its line), and the 目录's pages."""
    pages = {ln.page for ln in lines if TOC_LINE.match(ln.text)}
    listed: dict[str, TextLine] = {}
    for ln in lines:
        if ln.page in pages:
            kind = _kind_of_line(ln.text)
            if kind is not None:
                listed.setdefault(kind, ln)
    return listed, pages


def _table_under(title: TextLine, tables: list[TableSeen]) -> bool:
    """Is a table (of any kind the reader made of it) printed under this title line?"""
    return any(t.box is not None and t.pages[0] == title.page and t.box[1] >= title.box[1] - 2 for t in tables)


def _name(kind: str, doc_type: str) -> str:
    return TEMPLATE_NAMES.get(doc_type, {}).get(kind, kind)


def check_tables(inp: AuditInput) -> list[Finding]:
    doc_type = inp.document.doc_type
    required = REQUIRED_TABLES.get(doc_type, ())
    found: dict[str, list[TableSeen]] = {}
    for t in inp.tables:
        if t.kind:
            found.setdefault(t.kind, []).append(t)
    findings: list[Finding] = []
    for kind, seen in found.items():
        for t in seen:
            if t.empty:
                note = f" with the note '{t.empty_note}'" if t.empty_note else " (blank, no 本表无数据 note)"
                findings.append(Finding(kind="empty_table", severity="info",
                                        message=f"{_name(kind, doc_type)} is printed empty{note}",
                                        pages=t.pages, tables=[kind],
                                        evidence=[Evidence(page=t.pages[0], box=t.title_box, text=t.title)]))
    listed, toc_pages = contents(inp.lines)
    present = [k for k in required if k in found]
    if not required or len(present) < MIN_SET:
        return findings  # a narrative or indicator document, or tables published as a separate file
    table_pages = {p for t in inp.tables for p in t.pages}
    titles: dict[str, TextLine] = {}  # titles printed on table pages (a mention in prose is no table)
    for ln in inp.lines:
        if ln.page not in toc_pages and ln.page in table_pages:
            kind = _kind_of_line(ln.text)
            if kind is not None and TITLE_HINT.search(re.sub(r"\s+", "", ln.text)):
                titles.setdefault(kind, ln)
    for kind in required:
        if kind in found:
            continue
        name = _name(kind, doc_type)
        cover = COVERED_BY_TITLE.get(kind)
        other = next((t for t in inp.tables if cover and t.kind != kind and cover.search(t.title)), None)
        if other is not None:
            findings.append(Finding(kind="unread_table", severity="info",
                                    message=f"{name} is not printed as such; '{other.title}' (p{other.pages[0]}) "
                                            "holds its content",
                                    pages=other.pages, tables=[kind],
                                    evidence=[Evidence(page=other.pages[0], box=other.title_box, text=other.title)]))
            continue
        if kind in titles and _table_under(titles[kind], inp.tables):
            ln = titles[kind]
            findings.append(Finding(kind="unread_table", severity="info",
                                    message=f"{name}: its title is printed on page {ln.page}, but no table under it "
                                            "was read; its checks were not made",
                                    pages=[ln.page], tables=[kind],
                                    evidence=[Evidence(page=ln.page, box=ln.box, text=ln.text)]))
            continue
        in_toc = listed.get(kind)
        orphan = titles.get(kind)
        checks = "; ".join(TABLE_CHECKS.get(kind, ()))
        msg = (f"{name} is missing" + (f" although the table of contents lists it (p{in_toc.page})" if in_toc else "")
               + (f"; its title is printed on page {orphan.page} with no table under it" if orphan else "")
               + (f". Checks this makes impossible: {checks}" if checks else ""))
        findings.append(Finding(kind="missing_table", severity="error" if in_toc else "warning", message=msg,
                                pages=[in_toc.page] if in_toc else [], tables=[kind],
                                evidence=[Evidence(page=in_toc.page, box=in_toc.box, text=in_toc.text)]
                                if in_toc else []))
    return findings
