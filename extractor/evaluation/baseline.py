"""The regression gate: the grid strategy on the digital samples (and the corpus gold
documents when ../shared/corpus is there) against the committed `eval/baselines/grid.json`.

Any drop in a document's precision, recall, F1 or row recall (or in the pooled figures
over the documents both have) fails; the cells that went right → wrong are printed.

    python -m extractor.evaluation.baseline            # check, exit 1 on a drop
    python -m extractor.evaluation.baseline --write    # raise (rewrite) the baseline
    extractor eval baseline [--write]                  # the same
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.evaluation.score import Score, Tally

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "eval" / "baselines" / "grid.json"
GOLD = ROOT / "eval" / "gold"
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = (
    "samples/000.pdf", "samples/002.pdf", "samples/003.pdf", "samples/004.pdf",
    # scans (OCR): the samples' scanned copies and the scans users meet (turned, skewed,
    # stamped, two pages a sheet, faded)
    "samples/000_scan.pdf", "samples/002_scan.pdf", "samples/003_scan.pdf", "samples/004_scan.pdf",
    "samples/000_upside_down.pdf", "samples/000_rot90.pdf", "samples/000_skew3.pdf", "samples/000_stamp.pdf",
    "samples/000_two_up.pdf", "samples/000_low_contrast.pdf",
)
FIGURES = ("precision", "recall", "f1", "row_recall")
EPS = 1e-9


def gate_documents(root: Path = ROOT, corpus: Path = CORPUS) -> list[tuple[Path, Path]]:
    """(pdf, gold file) pairs the gate scores: samples (digital and scanned), then corpus gold documents present."""
    gold = {}
    for p in sorted((root / "eval" / "gold").glob("*.json")):
        gold[json.loads(p.read_text(encoding="utf-8"))["document"]["file"]] = p
    pairs = [(root / s, gold[Path(s).name]) for s in SAMPLES if (root / s).is_file() and Path(s).name in gold]
    if corpus.is_dir():
        pairs += [(corpus / f, g) for f, g in gold.items() if (corpus / f).is_file()]
    return pairs


def _miss(c) -> str:  # type: ignore[no-untyped-def]
    return (f"{c.gold_text if c.gold_text is not None else '—'} → {c.pred_text if c.pred_text is not None else '—'}"
            + (f" (p{c.page})" if c.page else ""))


def doc_entry(score: Score) -> dict[str, Any]:
    return {**score.overall.as_dict(), "row_recall": round(score.row_recall, 6), "rows_gold": score.rows_gold,
            "rows_found": score.rows_found,
            "misses": {c.label: _miss(c) for c in score.cells if not c.correct}}


def measure(root: Path = ROOT, corpus: Path = CORPUS) -> dict[str, Any]:
    """Extract every gate document with the grid strategy (no model) and score it."""
    from extractor.evaluation.score import score_document
    from extractor.pipeline import analyse, extract
    from extractor.read.pdf import OcrOptions

    docs = {}
    for pdf, gold in gate_documents(root, corpus):  # scanned pages OCR'd with the default [ocr] settings
        out = extract(analyse(pdf, OcrOptions()), "grid", None).doc.model_dump(mode="json")
        docs[pdf.name] = doc_entry(score_document(json.loads(gold.read_text(encoding="utf-8")), out))
    return {"strategy": "grid", "documents": docs, "overall": pooled_figures(docs, list(docs))}


def pooled_figures(docs: dict[str, dict[str, Any]], names: list[str]) -> dict[str, Any]:
    t = Tally()
    rows_gold = rows_found = 0
    for n in names:
        t.add(Tally(docs[n]["correct"], docs[n]["predicted"], docs[n]["gold"]))
        rows_gold += docs[n]["rows_gold"]
        rows_found += docs[n]["rows_found"]
    return {**t.as_dict(), "row_recall": round(rows_found / rows_gold, 6) if rows_gold else 1.0,
            "rows_gold": rows_gold, "rows_found": rows_found, "documents": len(names)}


@dataclass
class Verdict:
    drops: list[str] = field(default_factory=list)
    gains: list[str] = field(default_factory=list)
    broken: dict[str, list[str]] = field(default_factory=dict)  # right in the baseline, wrong now
    fixed: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # in the baseline, not measured now
    new: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drops

    def text(self, limit: int = 60) -> str:
        lines = []
        for title, items in (("DROPS", self.drops), ("gains", self.gains)):
            if items:
                lines.append(f"{title}:")
                lines += [f"  {x}" for x in items]
        for title, cells in (("right → wrong", self.broken), ("wrong → right", self.fixed)):
            for doc, labels in cells.items():
                lines.append(f"{title} in {doc} ({len(labels)}):")
                lines += [f"  {x}" for x in labels[:limit]]
                if len(labels) > limit:
                    lines.append(f"  … {len(labels) - limit} more")
        if self.missing:
            lines.append(f"not measured now (no PDF): {', '.join(self.missing)}")
        if self.new:
            lines.append(f"not in the baseline (run --write to add): {', '.join(self.new)}")
        if self.gains or self.fixed or self.new:
            lines.append("raise the baseline: python -m extractor.evaluation.baseline --write")
        return "\n".join(lines) or "no change from the baseline"


def check(current: dict[str, Any], baseline: dict[str, Any]) -> Verdict:
    v = Verdict()
    base, now = baseline["documents"], current["documents"]
    common = [d for d in base if d in now]
    v.missing = [d for d in base if d not in now]
    v.new = [d for d in now if d not in base]
    pairs = [(d, base[d], now[d]) for d in common]
    pairs.append(("overall (common documents)", pooled_figures(base, common), pooled_figures(now, common)))
    for name, b, n in pairs:
        for f in FIGURES:
            if n[f] < b[f] - EPS:
                v.drops.append(f"{name}: {f} {b[f]:.4f} → {n[f]:.4f}")
            elif n[f] > b[f] + EPS:
                v.gains.append(f"{name}: {f} {b[f]:.4f} → {n[f]:.4f}")
    for d in common:
        was, now_m = base[d]["misses"], now[d]["misses"]
        broken = [f"{label}: now {now_m[label]}" for label in now_m if label not in was]
        fixed = [f"{label}: was {was[label]}" for label in was if label not in now_m]
        if broken:
            v.broken[d] = broken
        if fixed:
            v.fixed[d] = fixed
    return v


def load_baseline(path: Path = BASELINE) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_baseline(current: dict[str, Any], path: Path = BASELINE) -> None:
    """One document a block, one miss a line, so a raised baseline reviews as a diff."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = load_baseline(path)
    if old:  # documents not measured now (corpus absent) keep their figures
        for d, entry in old["documents"].items():
            current["documents"].setdefault(d, entry)
        current["overall"] = pooled_figures(current["documents"], list(current["documents"]))
    path.write_text(json.dumps(current, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractor.evaluation.baseline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite eval/baselines/grid.json with today's figures")
    parser.add_argument("--path", type=Path, default=BASELINE)
    args = parser.parse_args(argv)
    current = measure()
    if args.write:
        write_baseline(current, args.path)
        o = current["overall"]
        print(f"wrote {args.path}: {len(current['documents'])} documents, F1 {o['f1']:.4f} "
              f"(P {o['precision']:.4f} R {o['recall']:.4f}), row recall {o['row_recall']:.4f}")
        return 0
    baseline = load_baseline(args.path)
    if baseline is None:
        print(f"no baseline at {args.path}; write one with --write")
        return 1
    verdict = check(current, baseline)
    print(verdict.text())
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
