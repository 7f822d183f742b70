"""What the reader makes of every PDF in ../shared/corpus: pages, OCR'd pages, tables by
kind, tables it did not recognise, seconds. A crash in any document is reported, not fatal.

    python bench/corpus_inspect.py [--corpus DIR] [--no-ocr]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from extractor.extract.indicators import is_indicator_table
from extractor.pipeline import analyse
from extractor.read.pdf import OcrOptions

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--no-ocr", action="store_true")
    args = ap.parse_args()
    ocr = None if args.no_ocr else OcrOptions()
    print("| document | pages | OCR'd | tables by kind | not recognised | s |")
    print("|---|---|---|---|---|---|")
    for pdf in sorted(args.corpus.glob("*.pdf")):
        start = time.monotonic()
        try:
            a = analyse(pdf, ocr=ocr)
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"| {pdf.name[:40]} | CRASH: {exc} | | | | |")
            continue
        kinds = Counter(t.kind or ("指标" if is_indicator_table(t) else "?") for t in a.tables)
        unknown = [f"{t.id} «{t.title[:12]}»" for t in a.unrecognised()]
        ocr_pages = sum(p.source == "ocr" for p in a.pdf.pages)
        kinds_text = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        print(f"| {pdf.name[:40]} | {len(a.pdf.pages)} | {ocr_pages} | {kinds_text} | "
              f"{len(unknown)}{': ' + '; '.join(unknown[:4]) if unknown else ''} | {time.monotonic() - start:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
