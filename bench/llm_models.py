"""Each local model on the samples: cell F1 against gold, tokens and seconds per page,
re-asks per chunk, ungrounded values caught. Fresh answers (no cache).

    python bench/llm_models.py [--models NAME ...] [--samples 004 003] [--strategy auto]

Starts the embedded server once per model (the models must be installed:
`extractor models install NAME`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from extractor.config import load_settings
from extractor.evaluation.score import score_document
from extractor.extract.llm import models
from extractor.run import run_batch

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(models.MODELS))
    ap.add_argument("--samples", nargs="+", default=["004"])
    ap.add_argument("--strategy", default="auto")
    args = ap.parse_args()
    print(f"{'model':<38}{'sample':<8}{'F1':>7}{'ind F1':>8}{'tok in/p':>10}{'tok out/p':>10}"
          f"{'s/page':>8}{'reasks/ch':>10}{'ungr':>6}{'calls':>6}")
    for name in args.models:
        settings = load_settings()
        settings.llm.model = name
        settings.llm.cache = False
        for sample in args.samples:
            pdf = ROOT / "samples" / f"{sample}.pdf"
            with tempfile.TemporaryDirectory() as tmp:
                start = time.monotonic()
                summary = run_batch([pdf], Path(tmp), settings, args.strategy, resume=False)  # type: ignore[arg-type]
                seconds = time.monotonic() - start
                result = summary.results[0]
                if not result.ok:
                    print(f"{name:<38}{sample:<8} FAILED: {result.error}")
                    continue
                out = json.loads(Path(result.output).read_text(encoding="utf-8"))
            gold = json.loads((ROOT / "eval" / "gold" / f"{sample}.json").read_text(encoding="utf-8"))
            score = score_document(gold, out)
            ind = score.by_table.get("指标")
            u = summary.ledger.run
            chunks = max(1, len(summary.ledger.chunks))
            pages = max(1, result.pages)
            print(f"{name:<38}{sample:<8}{score.overall.f1:>7.3f}{(ind.f1 if ind else float('nan')):>8.3f}"
                  f"{u.prompt_tokens / pages:>10.0f}{u.completion_tokens / pages:>10.0f}{seconds / pages:>8.1f}"
                  f"{u.reasks / chunks:>10.2f}{u.ungrounded:>6}{u.calls:>6}", flush=True)


if __name__ == "__main__":
    main()
