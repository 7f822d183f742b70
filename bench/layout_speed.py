"""Pages per second for reading + layout, side by side with PyMuPDF find_tables and pdfplumber.

Runs on the digital (text-layer) pages of ../shared/corpus, one core, in this process:

    python bench/layout_speed.py [--corpus DIR] [--limit N] [--skip-slow]

Each engine gets the same pages: ours reads words + ruling lines and rebuilds every
table (grids, headers, identity, stitching); find_tables and pdfplumber find tables and
extract their cell text.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pymupdf

from extractor.layout.tables import find_tables
from extractor.read.pdf import read_page

ROOT = Path(__file__).resolve().parents[1]


def digital_pages(corpus: Path, limit: int | None) -> list[tuple[Path, int]]:
    pages = []
    for pdf in sorted(corpus.glob("*.pdf")):
        with pymupdf.open(pdf) as doc:
            pages += [(pdf, p.number) for p in doc if p.get_text("text").strip()]
    return pages[:limit] if limit else pages


def by_file(pages: list[tuple[Path, int]]) -> dict[Path, list[int]]:
    out: dict[Path, list[int]] = {}
    for pdf, n in pages:
        out.setdefault(pdf, []).append(n)
    return out


def ours(pages: list[tuple[Path, int]]) -> int:
    tables = 0
    for pdf, numbers in by_file(pages).items():
        with pymupdf.open(pdf) as doc:
            read = [read_page(doc[n]) for n in numbers]
        tables += len(find_tables(read))
    return tables


def pymupdf_find_tables(pages: list[tuple[Path, int]]) -> int:
    tables = 0
    for pdf, numbers in by_file(pages).items():
        with pymupdf.open(pdf) as doc:
            for n in numbers:
                for t in doc[n].find_tables().tables:
                    t.extract()
                    tables += 1
    return tables


def pdfplumber_tables(pages: list[tuple[Path, int]]) -> int:
    import pdfplumber

    tables = 0
    for pdf, numbers in by_file(pages).items():
        with pdfplumber.open(pdf) as doc:
            for n in numbers:
                tables += len(doc.pages[n].extract_tables())
    return tables


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--limit", type=int, default=None, help="only the first N digital pages")
    ap.add_argument("--skip-slow", action="store_true", help="run only ours")
    args = ap.parse_args()
    pages = digital_pages(args.corpus, args.limit)
    print(f"{len(pages)} digital pages from {args.corpus}")
    print(f"{'engine':<28}{'seconds':>10}{'pages/s':>10}{'tables':>8}")
    engines = [("ours (read + layout)", ours)]
    if not args.skip_slow:
        engines += [("pymupdf find_tables", pymupdf_find_tables), ("pdfplumber extract_tables", pdfplumber_tables)]
    for name, fn in engines:
        start = time.perf_counter()
        n_tables = fn(pages)
        secs = time.perf_counter() - start
        print(f"{name:<28}{secs:>10.2f}{len(pages) / secs:>10.1f}{n_tables:>8}", flush=True)


if __name__ == "__main__":
    main()
