"""What the CLI shows people: summaries as plain data, and rich tables made from them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from extractor.extract.document import Analysis
from extractor.layout.grid import Grid


def inspect_summary(analysis: Analysis, page: int | None = None) -> dict[str, Any]:
    pdf = analysis.pdf
    tables_on: Counter[int] = Counter(pg for t in analysis.tables for pg in t.pages)
    pages = [
        {
            "page": p.number,
            "source": "scan (no OCR)" if p.image_only and p.source == "empty" else p.source,
            "words": len(p.words),
            "rules": len(p.rules),
            "tables": tables_on[p.number],
            "rotation": p.rotation,
        }
        for p in pdf.pages
        if page is None or p.number == page
    ]
    unrecognised = {t.id for t in analysis.unrecognised()}
    tables = [
        {
            "id": t.id,
            "kind": t.kind or ("(unrecognised)" if t.id in unrecognised else "(indicators)"),
            "title": t.title,
            "unit": t.unit,
            "pages": t.pages,
            "rows": sum(p.header.body_rows for p in t.parts),
            "columns": t.parts[0].grid.n_cols,
            "empty": t.empty,
            "recognised": t.id not in unrecognised,
        }
        for t in analysis.tables
        if page is None or page in t.pages
    ]
    chunks = [
        {"id": c.id, "kind": c.kind, "table_kind": c.table_kind, "pages": c.pages, "chars": len(c.text),
         "cells": len(c.cells)}
        for c in analysis.chunks
        if page is None or page in c.pages
    ]
    return {
        "file": pdf.path.name,
        "sha256": pdf.sha256,
        "n_pages": len(pdf.pages),
        "ocr_pages": [p.number for p in pdf.pages if p.source == "ocr"],
        "pages": pages,
        "tables": tables,
        "chunks": chunks,
    }


def _rich(title: str, rows: list[dict[str, Any]]) -> RichTable:
    table = RichTable(title=title, title_justify="left")
    for key in rows[0] if rows else ["(none)"]:
        table.add_column(key, overflow="fold", min_width=4 if key in ("title", "id", "kind") else None)
    for row in rows:
        table.add_row(*("" if v is None else ", ".join(map(str, v)) if isinstance(v, list) else str(v)
                        for v in row.values()))
    return table


def inspect_tables(summary: dict[str, Any], name: str) -> list[RichTable]:
    kinds = Counter(t["kind"] for t in summary["tables"])
    head = (f"{name}: {summary['n_pages']} pages, {len(summary['ocr_pages'])} OCR'd, "
            f"{len(summary['tables'])} tables ({', '.join(f'{k} ×{n}' for k, n in kinds.items())})")
    return [
        _rich(head + "\nPages", summary["pages"]),
        _rich("Tables", summary["tables"]),
        _rich("Chunks", summary["chunks"]),
    ]


def page_grids(analysis: Analysis, page: int) -> list[Grid]:
    return [p.grid for t in analysis.tables for p in t.parts if p.grid.page == page]


def grid_table(grid: Grid) -> RichTable:
    """A rebuilt grid as printed cells; spans shown as [rows×cols]."""
    table = RichTable(title=f"page {grid.page}: {grid.n_rows} × {grid.n_cols} grid at "
                      f"({grid.box[0]:.0f}, {grid.box[1]:.0f}, {grid.box[2]:.0f}, {grid.box[3]:.0f})",
                      show_lines=True, title_justify="left")
    table.add_column("row", justify="right")
    for col in range(grid.n_cols):
        table.add_column(f"c{col}", overflow="fold")
    for row in range(grid.n_rows):
        texts = []
        for col in range(grid.n_cols):
            cell = grid.at(row, col)
            if cell.row != row or cell.col != col:
                texts.append("·")  # covered by a spanning cell
                continue
            span = f" [{cell.rowspan}×{cell.colspan}]" if cell.rowspan > 1 or cell.colspan > 1 else ""
            texts.append(cell.text + span)
        table.add_row(str(row), *texts)
    return table


def _page_count(path: Path) -> int:
    import pymupdf

    try:
        with pymupdf.open(path) as doc:
            return doc.page_count
    except Exception:  # noqa: BLE001 - a broken file counts as one page; it will fail later
        return 1


def cost(prompt_tokens: int, completion_tokens: int, price_in: float, price_out: float) -> float:
    """Estimated cost at prices per million tokens."""
    return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000


class RunProgress:
    """Documents, pages and chunks done, tokens and their cost, elapsed and remaining time:
    one live bar for the run."""

    def __init__(self, console: Console, files: list[Path], live_pages: bool = True,
                 prices: tuple[float, float, str] = (0.0, 0.0, "")) -> None:
        self.live_pages = live_pages  # pages reported as read (one process), else per document
        self.prices = prices
        self.total_pages = sum(_page_count(f) for f in files)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("pages{task.fields[ocr]} · docs {task.fields[docs]} · chunks {task.fields[chunks]} · tokens {task.fields[tokens]}"
                       "{task.fields[cost]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
        )
        self.n_files = len(files)
        self.docs = self.chunks = 0
        self.task = self.progress.add_task("extracting", total=self.total_pages,
                                           docs=f"0/{self.n_files}", chunks="0", tokens="0", cost="", ocr="")
        self.pages_done = self.ocr_pages = 0

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def page(self, name: str, number: int, ocr: int) -> None:
        """Page `number` of `name` read; `ocr`: 1 when it was OCR'd (a scan)."""
        self.pages_done += 1
        self.ocr_pages += ocr
        self.progress.update(self.task, advance=1, description=f"{name[:40]} p{number}{' (OCR)' if ocr else ''}",
                             ocr=self._ocr_field())

    def _ocr_field(self) -> str:
        return f" ({self.ocr_pages} by OCR)" if self.ocr_pages else ""

    def document(self, result, ledger) -> None:  # type: ignore[no-untyped-def]
        self.docs += 1
        self.chunks += result.chunks
        # pages of skipped (resumed) or failed documents still count as done
        if result.skipped or not result.ok or not self.live_pages:
            self.progress.update(self.task, advance=max(0, (result.pages or 1)))
            if not self.live_pages and not result.skipped:
                self.ocr_pages += result.ocr_pages
                self.progress.update(self.task, ocr=self._ocr_field())
        price_in, price_out, currency = self.prices
        spent = cost(ledger.run.prompt_tokens, ledger.run.completion_tokens, price_in, price_out)
        self.progress.update(self.task, docs=f"{self.docs}/{self.n_files}", chunks=str(self.chunks),
                             tokens=f"{ledger.run.total_tokens:,}",
                             cost=f" · ≈{spent:.2f} {currency}" if price_in or price_out else "")


def run_table(summary, prices: tuple[float, float, str] = (0.0, 0.0, "")) -> RichTable:  # type: ignore[no-untyped-def]
    rows = [
        {"document": r.file, "status": {"skipped": "skipped (done)", "failed": "FAILED"}.get(r.status, r.status),
         "pages": r.pages, "ocr": r.ocr_pages, "line items": r.line_items, "indicators": r.indicators,
         "conflicts": r.conflicts, "tables holding": f"{r.tables_holding}/{r.tables_checked}",
         "pending": r.pending, "chunk errors": r.chunk_failures, "seconds": f"{r.seconds:.1f}"}
        for r in summary.results
    ]
    u = summary.ledger.run
    c = summary.counts()
    model = summary.model or {}
    share = f"{c['tables_reconciled']:.1%}" if c["tables_reconciled"] is not None else "–"
    price_in, price_out, currency = prices
    spent = f" · ≈{cost(u.prompt_tokens, u.completion_tokens, price_in, price_out):.2f} {currency}" \
        if price_in or price_out else ""
    title = (f"run: {c['documents']} documents · {c['ok']} ok · {c['partial']} partial · {c['with_conflicts']} with "
             f"conflicts · {c['failed']} failed · tables reconciled {share} · "
             f"model {model.get('model', '-')} ({model.get('kind', 'none')}) · tokens in {u.prompt_tokens:,} "
             f"out {u.completion_tokens:,}{spent} · calls {u.calls} · re-asks {u.reasks} · cache hits {u.cache_hits}")
    return _rich(title, rows)
