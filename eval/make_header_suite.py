"""Draft the header-block suite from ../shared/corpus: one block per distinct header (title,
text above, each column's header path, the first body rows), with `kind` and `roles` left
empty for a person to label against the page image.

    python eval/make_header_suite.py [--corpus DIR] [--out eval/suites/header_blocks.jsonl]

Existing labels in OUT are kept (matched by id), so re-running only adds new blocks.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from extractor.layouts import header_block
from extractor.pipeline import analyse

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "suites" / "header_blocks.jsonl")
    args = ap.parse_args()
    old = {}
    if args.out.exists():
        old = {(x := json.loads(line))["id"]: x for line in args.out.read_text(encoding="utf-8").splitlines() if line}
    seen: set[str] = set()
    out = []
    for pdf in sorted(args.corpus.glob("*.pdf")):
        analysis = analyse(pdf, ocr=None)
        for table in analysis.tables:
            if table.empty or not table.parts[0].header.columns:
                continue
            block = header_block(table)
            if block.signature in seen or not block.rows:
                continue
            seen.add(block.signature)
            bid = f"{pdf.stem[:40]}:{table.id}"
            entry = {"id": bid, "file": pdf.name, "pages": table.pages, **block.model_dump(),
                     "kind": None, "roles": None}
            if bid in old:
                entry["kind"], entry["roles"] = old[bid].get("kind"), old[bid].get("roles")
            out.append(entry)
    args.out.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in out), encoding="utf-8")
    print(f"{len(out)} blocks → {args.out}")


if __name__ == "__main__":
    main()
