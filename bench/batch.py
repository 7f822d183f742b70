"""End-to-end batch speed and memory with the grid strategy: the same folder run with 1
worker and with N (read, layout, records, reconcile, atomic JSON, datasets included).

    python bench/batch.py [--corpus DIR] [--workers 1,2] [--repeat 1] [--ray]

Prints, per executor and worker count: documents, pages, seconds, pages per second, peak
memory of the parent and of the largest worker process (ru_maxrss; Ray's workers are not
its children and are not counted), and whether the records are identical to the
one-process run. `--ray` adds the same runs on a local Ray runtime.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from extractor.config import Settings
from extractor.run import plan_jobs, run_batch

ROOT = Path(__file__).resolve().parents[1]


def _records(folder: Path) -> dict[str, object]:
    out = {}
    for p in sorted(folder.rglob("*.json")):
        if p.name.startswith("."):
            continue
        data = json.loads(p.read_text(encoding="utf-8"))
        out[str(p.relative_to(folder))] = (data["line_items"], data["indicators"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--repeat", type=int, default=1, help="runs per worker count (the fastest is shown)")
    ap.add_argument("--ray", action="store_true", help="also run on a local Ray runtime")
    args = ap.parse_args()
    jobs = plan_jobs([args.corpus])
    counts = [int(x) for x in args.workers.split(",")]
    print(f"grid strategy on {args.corpus} ({len(jobs)} PDFs)\n")
    print("| executor | workers | documents | pages | seconds | pages/s | peak RSS parent MB | peak RSS worker MB "
          "| records = 1 worker |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache")
        runs = [("local", n) for n in counts] + ([("ray", n) for n in counts] if args.ray else [])
        for executor, n in runs:
            best = None
            for i in range(args.repeat):
                out = Path(tmp) / f"{executor}{n}-{i}"
                start = time.perf_counter()
                summary = run_batch(jobs, out, settings, "grid", resume=False, workers=n,
                                    executor=executor)  # type: ignore[arg-type]
                seconds = time.perf_counter() - start
                best = min(best or seconds, seconds)
            records = _records(out)
            base = base if base is not None else records
            pages = sum(r.pages for r in summary.results)
            parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"| {executor} | {n} | {len(summary.results)} | {pages} | {best:.1f} | {pages / best:.1f} | {parent:.0f} | "
                  f"{child:.0f} | {'yes' if records == base else 'NO'} |")


if __name__ == "__main__":
    main()
