"""The reconciler over every PDF in ../shared/corpus (grid strategy, no model): per document,
the share of tables whose identities all hold before reconciling (values as read) and
after (with the fixes the arithmetic pins down), then every published inconsistency
and remaining conflict with its page.

    python bench/corpus_reconcile.py [--corpus DIR] [--no-ocr] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from extractor.pipeline import analyse, extract
from extractor.read.pdf import OcrOptions
from extractor.reconcile import reconcile
from extractor.reconcile.stage import mark_ocr, summary

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--no-ocr", action="store_true")
    ap.add_argument("--json", type=Path, help="also write every document's reconciliation summary here")
    args = ap.parse_args()
    ocr = None if args.no_ocr else OcrOptions()
    rows, found, dump = [], [], {}
    for pdf in sorted(args.corpus.glob("*.pdf")):
        start = time.monotonic()
        try:
            analysis = analyse(pdf, ocr=ocr)
            outcome = extract(analysis, "grid", None)
        except Exception as exc:  # noqa: BLE001 - report and go on
            rows.append(f"| {pdf.name[:42]} | CRASH: {exc} |" + " |" * 9)
            continue
        after = outcome.reconciled
        assert after is not None
        # "Before": the same records, nothing corrected (every failure counted as it stands).
        raw = outcome.doc.model_copy(deep=True)
        for c in after.corrections:
            records = raw.line_items if c.ref.collection == "line_items" else raw.indicators
            if c.ref.field.startswith("values."):
                records[c.ref.index].values[c.ref.field[7:]] = c.old
            else:
                setattr(records[c.ref.index], c.ref.field, c.old)
        ocr_pages = {p.number for p in analysis.pdf.pages if p.source == "ocr"}
        before = reconcile(mark_ocr(raw, ocr_pages), as_printed=True)
        b, a = before.totals, after.totals
        seconds = time.monotonic() - start
        rows.append(
            f"| {pdf.name[:42]} | {len(analysis.pdf.pages)} | {len(ocr_pages)} | {len(outcome.doc.line_items)} | "
            f"{a.identities} | {a.tables_checked} | {b.share_tables_all_holding:.0%} ({b.tables_all_holding}) | "
            f"{a.share_tables_all_holding:.0%} ({a.tables_all_holding}) | {a.corrected} | {a.inconsistent} | "
            f"{a.conflicts} | {seconds:.1f} |"
        )
        s = summary(after)
        dump[pdf.name] = s
        for c in s["conflicts"]:
            eq = "; ".join(f"{i['description']} (Δ {i['difference']})" for i in c["identities"])
            found.append(f"| {pdf.name[:30]} | {', '.join(map(str, c['pages']))} | {c['status']} | {eq[:160]} |")
        for c in s["corrections"]:
            found.append(f"| {pdf.name[:30]} | | corrected | {c['cell']}: {c['old']} → {c['new']} ({c['misreading']}) |")
    print("| document | pages | OCR'd | line items | identities | tables checked | all hold before | "
          "all hold after | corrected | published inconsistencies | conflicts | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n| document | page(s) | status | identity |\n|---|---|---|---|")
    print("\n".join(found))
    if args.json:
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
