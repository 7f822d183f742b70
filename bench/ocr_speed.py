"""Seconds per OCR'd page: reading scanned PDFs with `read_pdf`, as an extraction does.

    python bench/ocr_speed.py [PDF ...] [--dpi 200] [--engine rapidocr] [--repeat 1]

Default PDFs: the scanned samples (samples/*_scan.pdf). It prints, per file and in
total, the pages OCR'd, wall seconds per page, CPU seconds per page (all threads),
the engine and the dpi. Run it in two checkouts to compare two versions side by side
on the same pages, e.g. today's against the commit before a change:

    git worktree add ../before <commit>
    (cd ../before && PYTHONPATH=. python ../<this checkout>/bench/ocr_speed.py)   # that version's reader
    python bench/ocr_speed.py                                                    # this one

The script only uses `read_pdf(path, ocr=OcrOptions(engine=…, dpi=…))`, which both
versions have. The engine is created (models loaded) before the clock starts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from extractor.read.ocr import get_engine  # noqa: E402
from extractor.read.pdf import OcrOptions, read_pdf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(read_pdf.__code__.co_filename).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--repeat", type=int, default=1, help="read each file this many times; the best is kept")
    args = ap.parse_args()
    pdfs = args.pdfs or sorted((ROOT / "samples").glob("*_scan.pdf"))
    get_engine(args.engine)
    opts = OcrOptions(engine=args.engine, dpi=args.dpi)
    print(f"reader at {_commit()} ({Path(read_pdf.__code__.co_filename).parent}); engine {args.engine}, "
          f"{args.dpi} dpi, {os.cpu_count()} cores")
    print(f"{'file':<36}{'OCR pages':>10}{'s/page':>9}{'cpu s/page':>12}")
    total_pages, total_wall, total_cpu = 0, 0.0, 0.0
    for pdf in pdfs:
        best: tuple[float, float] | None = None
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            doc = read_pdf(pdf, ocr=opts)
            run = (time.perf_counter() - wall, time.process_time() - cpu)
            best = run if best is None or run[0] < best[0] else best
        assert best is not None
        n = sum(p.source == "ocr" or p.image_only for p in doc.pages)
        total_pages += n
        total_wall += best[0]
        total_cpu += best[1]
        print(f"{pdf.name[:35]:<36}{n:>10}{best[0] / max(1, n):>9.2f}{best[1] / max(1, n):>12.2f}")
    n = max(1, total_pages)
    print(f"{'all':<36}{total_pages:>10}{total_wall / n:>9.2f}{total_cpu / n:>12.2f}")


if __name__ == "__main__":
    main()
