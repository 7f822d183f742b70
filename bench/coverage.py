"""What the readers make of every PDF in ../shared/corpus: per document, tables found and
read, chunks left pending by reason, line items, indicators, indicator pages that gave
none, tables whose identities all hold, and (with --strategy auto and a model) model
calls and seconds, and per page the calls, tokens and cost per 1,000 pages at a stated price.

    python bench/coverage.py [--corpus DIR] [--strategy grid|auto] [--no-ocr] [--json OUT.json]
                             [--price-in 2.0 --price-out 8.0]

The closing lines count what the issue asks: documents with budget tables but no line
item, documents with 绩效 pages but no indicator, indicator pages with none, the share
of tables whose identities all hold, and pending chunks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections import Counter
from pathlib import Path

from extractor.config import Settings
from extractor.extract.indicators import LABEL_COLUMN, field_of_header, is_indicator_table
from extractor.extract.llm.usage import Ledger
from extractor.normalize import normalize_name
from extractor.pipeline import analyse, extract
from extractor.read.pdf import OcrOptions
from extractor.report import cost as run_cost
from extractor.run import open_model
from extractor.vocabulary import indicator_level, split_levels

ROOT = Path(__file__).resolve().parents[1]


def _reason(text: str) -> str:
    """A pending reason without its per-table detail (column lists), for counting."""
    return text.split(":")[0].strip()[:48]


def _prints_indicators(grid) -> bool:  # type: ignore[no-untyped-def]
    """Does this page's part of an indicator table print an indicator header or a taxonomy
    level? Pages that print none (a form's first page that ends before its 绩效指标 block,
    a project list with goals as prose) have nothing to read."""
    for cell in grid.cells:
        text = normalize_name(cell.text)
        if (indicator_level(text) is not None or split_levels(text) or text in LABEL_COLUMN
                or field_of_header(text) in ("level1", "level2", "name")):
            return True
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--strategy", choices=("grid", "auto"), default="grid")
    ap.add_argument("--no-ocr", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the per-document figures here")
    ap.add_argument("--price-in", type=float, default=2.0, help="price per million prompt tokens (for the cost line)")
    ap.add_argument("--price-out", type=float, default=8.0, help="price per million answer tokens")
    args = ap.parse_args()
    ocr = None if args.no_ocr else OcrOptions()
    ledger = Ledger()
    rows, dump = [], {}
    totals: Counter[str] = Counter()
    reasons_all: Counter[str] = Counter()
    with open_model(Settings(), args.strategy, ledger) if args.strategy != "grid" else contextlib.nullcontext() as model:
        for pdf in sorted(args.corpus.glob("*.pdf")):
            start = time.monotonic()
            calls0, tokens0 = ledger.run.calls, ledger.run.total_tokens
            try:
                analysis = analyse(pdf, ocr=ocr)
                outcome = extract(analysis, args.strategy, model)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding: report and go on
                rows.append(f"| {pdf.name[:40]} | CRASH: {type(exc).__name__}: {exc} |" + " |" * 10)
                totals["crashed"] += 1
                continue
            seconds = time.monotonic() - start
            doc = outcome.doc
            budget_tables = [t for t in analysis.tables if t.kind not in (None, "绩效目标表")
                             and not is_indicator_table(t) and not t.empty]
            # pages of indicator tables that print indicators (empty tables and pages of a form
            # before its 绩效指标 block print none), and pages of indicator prose
            indicator_pages = {part.grid.page for t in analysis.tables if is_indicator_table(t) and not t.empty
                               for part in t.parts if _prints_indicators(part.grid)}
            indicator_pages |= {p for c in analysis.chunks if c.kind == "text" for p in c.pages}
            pages_with = {i.page for i in doc.indicators}
            indicator_pages |= pages_with  # a continuation page may print names only
            silent_pages = sorted(indicator_pages - pages_with)
            pending = Counter(_reason(r) for p in outcome.pending for r in p.reasons[:1])
            reasons_all.update(pending)
            rec = outcome.reconciled
            held = rec.totals.tables_all_holding if rec else 0
            checked = rec.totals.tables_checked if rec else 0
            read_ids = {i.provenance.chunk_id for i in [*doc.line_items, *doc.indicators] if i.provenance}
            read_tables = sum(1 for t in analysis.tables if t.id in read_ids)
            calls = ledger.run.calls - calls0
            tokens = ledger.run.total_tokens - tokens0
            no_items = bool(budget_tables) and not doc.line_items
            no_inds = bool(indicator_pages) and not doc.indicators
            totals.update(docs=1, tables=len(analysis.tables), read=read_tables, items=len(doc.line_items),
                          indicators=len(doc.indicators), ind_pages=len(indicator_pages),
                          silent_pages=len(silent_pages), held=held, checked=checked,
                          pending=len(outcome.pending), calls=calls, tokens=tokens,
                          budget_docs=bool(budget_tables), no_items=no_items,
                          ind_docs=bool(indicator_pages), no_inds=no_inds)
            reasons = "; ".join(f"{k} ×{n}" for k, n in pending.most_common())
            rows.append(
                f"| {pdf.name[:40]} | {len(analysis.pdf.pages)} | {len(analysis.tables)} | {read_tables} | "
                f"{len(doc.line_items)}{' ✗' if no_items else ''} | {len(doc.indicators)}{' ✗' if no_inds else ''} | "
                f"{len(silent_pages)}/{len(indicator_pages)} | {held}/{checked} | {len(outcome.pending)} | "
                f"{reasons or '–'} | {calls} | {seconds:.1f} |"
            )
            dump[pdf.name] = {"pages": len(analysis.pdf.pages), "tables": len(analysis.tables),
                              "tables_read": read_tables, "line_items": len(doc.line_items),
                              "indicators": len(doc.indicators), "indicator_pages": sorted(indicator_pages),
                              "indicator_pages_without": silent_pages, "tables_holding": held,
                              "tables_checked": checked, "pending": dict(pending), "calls": calls,
                              "tokens": tokens, "seconds": round(seconds, 2)}
    print(f"strategy {args.strategy}\n")
    print("| document | pages | tables | read | line items | indicators | indicator pages without | "
          "tables holding | pending | pending reasons | model calls | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    t = totals
    share = t["held"] / t["checked"] if t["checked"] else 0.0
    print()
    print(f"documents: {t['docs']} read, {t['crashed']} crashed")
    print(f"documents with budget tables but no line item: {t['no_items']} of {t['budget_docs']}")
    print(f"documents with 绩效 pages but no indicator: {t['no_inds']} of {t['ind_docs']}")
    print(f"indicator pages with no indicator: {t['silent_pages']} of {t['ind_pages']}")
    print(f"tables whose identities all hold: {t['held']} of {t['checked']} ({share:.1%})")
    print(f"tables read: {t['read']} of {t['tables']}; chunks pending: {t['pending']}")
    print("pending by reason: " + ("; ".join(f"{k} ×{n}" for k, n in reasons_all.most_common()) or "none"))
    if args.strategy != "grid":
        u = ledger.run
        pages = sum(v["pages"] for v in dump.values())
        cost = run_cost(u.prompt_tokens, u.completion_tokens, args.price_in, args.price_out)
        print(f"model calls: {t['calls']}, tokens: {t['tokens']} (in {u.prompt_tokens:,}, out {u.completion_tokens:,})")
        print(f"per page: {t['calls'] / pages:.3f} calls, {t['tokens'] / pages:.1f} tokens; "
              f"cost per 1,000 pages at {args.price_in}/{args.price_out} per million tokens in/out: "
              f"{cost / pages * 1000:.2f}")
    if args.json:
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
