"""A run as datasets analysts open at once: CSV (UTF-8 with BOM, for Excel), Parquet and
one DuckDB file with the tables `documents`, `line_items` (one row per amount cell, in 万元
too), `indicators` and `findings`, and a view per table kind.

`rows_of` is pure (one contract output in, its rows out); `write_dataset` is the only I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from extractor.files import replacing
from extractor.normalize import normalize_name, to_wan
from extractor.reconcile.vocab import MEASURE_PART, SUBSET_PREFIX
from extractor.vocabulary import AMOUNT_ONLY, CODE_LEVELS, REGION, STANDARD_COLUMNS, level1_of, taxonomy_term

TABLES = ("documents", "line_items", "indicators", "findings")
DATASET_DIR = "dataset"
DUCKDB_FILE = "run.duckdb"


class Rows(BaseModel):
    """The dataset rows of one output document."""

    documents: list[dict[str, Any]] = Field(default_factory=list)
    line_items: list[dict[str, Any]] = Field(default_factory=list)
    indicators: list[dict[str, Any]] = Field(default_factory=list)
    findings: list[dict[str, Any]] = Field(default_factory=list)


def region_of(department: str | None, output: str) -> str | None:
    """The region a department's name starts with (北京市, 上海市普陀区), else the output's
    top folder (a collection sorted by region), else None."""
    if department:
        m = REGION.match(normalize_name(department))
        if m:
            return m.group("region") + (m.group("district") or "")
    parts = output.split("/")
    return parts[0] if len(parts) > 1 else None


def column_role(header: str) -> tuple[str | None, str | None]:
    """(standard role, measure) of a printed amount header, by the vocabulary's words:
    '基本支出/人员经费' → 人员经费; '预算数/基本支出/小计' → 基本支出 (the subtotal of its
    parent); '“三公”经费/合计/预算数' → (合计, 预算数); '收入/预算数' → 金额 (the row's one
    amount); None where the words do not say ('扣除基建项目后预算数')."""
    parts = [normalize_name(p) for p in header.split("/") if p.strip()]
    measure = next((p for p in reversed(parts) if MEASURE_PART.match(p)), None)
    total = False
    for part in reversed(parts):
        if MEASURE_PART.match(part):
            continue
        bare = SUBSET_PREFIX.sub("", part)
        role = next((name for name, pattern in STANDARD_COLUMNS if pattern.search(bare)), None)
        if role == "合计":
            total = True  # the total of what its parent names, if it names something
            continue
        if role is not None:
            return role, measure
        if not AMOUNT_ONLY.match(bare):
            return ("合计" if total else None), measure
    if total:
        return "合计", measure
    return "金额", measure


def _level(name: str | None) -> str | None:
    return (taxonomy_term(name) or normalize_name(name)) if name else None


def rows_of(output: str, data: dict[str, Any]) -> Rows:
    """One contract output (as parsed JSON, `output` its name in the run) as dataset rows."""
    doc = data.get("document") or {}
    extraction = doc.get("extraction") or {}
    report = data.get("report") or {}
    rec = data.get("reconciliation") or {}
    base = {"output": output, "file": doc.get("file"), "department": doc.get("department"),
            "region": region_of(doc.get("department"), output), "year": doc.get("year"), "doc_type": doc.get("doc_type")}
    out = Rows()
    items, inds = data.get("line_items") or [], data.get("indicators") or []
    conflicts = rec.get("conflicts") or []
    out.documents.append({
        **base, "sha256": doc.get("sha256"), "strategy": extraction.get("strategy"), "pages": extraction.get("pages"),
        "status": "partial" if report.get("failures") else "ok", "line_items": len(items), "indicators": len(inds),
        "conflicts": sum(c.get("status") == "conflict" for c in conflicts),
        "inconsistencies": sum(c.get("status") == "inconsistent" for c in conflicts),
        "pending": len(report.get("pending") or []),
        "share_tables_holding": (rec.get("totals") or {}).get("share_tables_all_holding"),
        "audit_errors": sum(f.get("severity") == "error" for f in (data.get("audit") or {}).get("findings") or []),
        "audit_warnings": sum(f.get("severity") == "warning" for f in (data.get("audit") or {}).get("findings") or []),
    })
    for n, r in enumerate(items):
        code = r.get("code")
        unit = r.get("unit") or "万元"
        common = {**base, "record": n, "table_kind": r.get("table"), "page": r.get("page"), "status": r.get("status"),
                  "code": code, "code_level": CODE_LEVELS.get(len(code)) if code else None,
                  "code_class": code[:3] if code and len(code) > 3 else None,
                  "code_section": code[:5] if code and len(code) > 5 else None,
                  "name": r.get("name"), "unit": unit, "method": (r.get("provenance") or {}).get("method")}
        for header, value in (r.get("values") or {}).items():
            role, measure = column_role(header)
            try:
                wan = to_wan(value, unit) if value is not None else None
            except ValueError:
                wan = None
            out.line_items.append({**common, "column": header, "role": role, "measure": measure,
                                   "value": value, "value_wan": wan})
    for n, i in enumerate(inds):
        level1, level2 = _level(i.get("level1")), _level(i.get("level2"))
        out.indicators.append({
            **base, "record": n, "page": i.get("page"), "status": i.get("status"), "scope": i.get("scope"),
            "project": i.get("project"), "level1": i.get("level1"), "level2": i.get("level2"),
            "level1_std": level1 or (level1_of(level2) if level2 else None), "level2_std": level2,
            "name": i.get("name"), "operator": i.get("operator"), "value": i.get("value"), "unit": i.get("unit"),
            "weight": i.get("weight"), "direction": i.get("direction"),
        })
    for c in conflicts:
        out.findings.append({**base, "source": "reconcile", "kind": c.get("status"),
                             "severity": "warning" if c.get("status") == "conflict" else "info",
                             "pages": _pages(c.get("pages")), "tables": None,
                             "message": c.get("reason"), "mismatch_wan": _dec(c.get("mismatch_wan")),
                             "cells": "; ".join(c.get("cells") or [])})
    for p in report.get("pending") or []:
        out.findings.append({**base, "source": "report", "kind": "pending", "severity": "warning",
                             "pages": _pages(p.get("pages")), "tables": None,
                             "message": "; ".join(p.get("reasons") or []), "mismatch_wan": None, "cells": p.get("chunk")})
    for f in (data.get("audit") or {}).get("findings") or []:
        out.findings.append({**base, "source": "audit", "kind": f.get("kind"), "severity": f.get("severity"),
                             "pages": _pages(f.get("pages")), "tables": "; ".join(f.get("tables") or []) or None,
                             "message": f.get("message"), "mismatch_wan": None,
                             "cells": "; ".join(e.get("text", "") for e in f.get("evidence") or [])[:500] or None})
    return out


def _pages(pages: Iterable[int] | None) -> str:
    return ",".join(map(str, pages or []))


def _dec(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except ArithmeticError:
        return None


# Arrow types of the columns that are not text (everything else is a string).
_TYPES = {"year": "int32", "record": "int32", "page": "int32", "pages_n": "int32", "line_items": "int32",
          "indicators": "int32", "conflicts": "int32", "inconsistencies": "int32", "pending": "int32",
          "share_tables_holding": "float64", "value_wan": "decimal", "mismatch_wan": "decimal",
          "audit_errors": "int32", "audit_warnings": "int32"}


def _arrow(rows: list[dict[str, Any]], columns: list[str]):  # -> pyarrow.Table
    import pyarrow as pa

    fields = []
    for c in columns:
        kind = _TYPES.get(c, "string")
        if kind == "decimal":
            fields.append(pa.field(c, pa.decimal128(38, 12)))
        elif kind == "string":
            fields.append(pa.field(c, pa.string()))
        else:
            fields.append(pa.field(c, getattr(pa, kind)()))
    schema = pa.schema(fields)
    data = {c: [_cast(r.get(c), _TYPES.get(c, "string")) for r in rows] for c in columns}
    return pa.table(data, schema=schema)


def _cast(v: Any, kind: str) -> Any:
    if v is None:
        return None
    if kind == "string":
        return str(v)
    if kind == "decimal":
        return Decimal(v).quantize(Decimal("1e-12"))
    return v


COLUMNS: dict[str, list[str]] = {
    "documents": ["output", "file", "department", "region", "year", "doc_type", "sha256", "strategy", "pages",
                  "status", "line_items", "indicators", "conflicts", "inconsistencies", "pending",
                  "share_tables_holding", "audit_errors", "audit_warnings"],
    "line_items": ["output", "file", "department", "region", "year", "doc_type", "table_kind", "page", "record",
                   "status", "code", "code_level", "code_class", "code_section", "name", "column", "role", "measure",
                   "value", "unit", "value_wan", "method"],
    "indicators": ["output", "file", "department", "region", "year", "doc_type", "page", "record", "status", "scope",
                   "project", "level1", "level2", "level1_std", "level2_std", "name", "operator", "value", "unit",
                   "weight", "direction"],
    "findings": ["output", "file", "department", "region", "year", "doc_type", "source", "kind", "severity", "pages",
                 "tables", "message", "mismatch_wan", "cells"],
}


def write_dataset(out_dir: Path, outputs: Iterable[tuple[str, dict[str, Any]]]) -> list[Path]:
    """CSV and Parquet per table under `out_dir/dataset/`, and `out_dir/run.duckdb` with the
    four tables and a view per table kind (`line_items_支出总表` …). Each file is written
    beside its target and renamed over it, so a reader never sees half a file."""
    import duckdb
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    merged = Rows()
    for name, data in outputs:
        one = rows_of(name, data)
        for t in TABLES:
            getattr(merged, t).extend(getattr(one, t))
    folder = out_dir / DATASET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    arrow = {t: _arrow(getattr(merged, t), COLUMNS[t]) for t in TABLES}
    for t, table in arrow.items():
        csv_path, pq_path = folder / f"{t}.csv", folder / f"{t}.parquet"
        with replacing(csv_path) as tmp:
            with tmp.open("wb") as fh:
                fh.write("\ufeff".encode())  # Excel reads UTF-8 only with a BOM
                pacsv.write_csv(table, fh)
        with replacing(pq_path) as tmp:
            pq.write_table(table, tmp)
        written += [csv_path, pq_path]
    db_path = out_dir / DUCKDB_FILE
    with replacing(db_path) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            for t, table in arrow.items():
                con.register(f"_{t}", table)
                con.execute(f"CREATE TABLE {t} AS SELECT * FROM _{t}")
                con.unregister(f"_{t}")
            kinds = sorted({r["table_kind"] for r in merged.line_items if r.get("table_kind")})
            for kind in kinds:
                view = "line_items_" + re.sub(r"\W", "_", kind)
                con.execute(f'CREATE VIEW "{view}" AS SELECT * FROM line_items WHERE table_kind = ?'.replace(
                    "?", "'" + kind.replace("'", "''") + "'"))
        finally:
            con.close()
    written.append(db_path)
    return written
