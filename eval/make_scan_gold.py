"""Derive the scanned samples' gold files from the digital samples' gold.

A scanned sample prints the same pages as its digital twin, so its gold is the same
records under the scan's file name and sha256; 002's scan keeps pages 1-15 only, so
its gold keeps the records printed there (the budget tables) and no indicators.

    python eval/make_scan_gold.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pymupdf

from extractor.records import dumps_contract

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold"
SAMPLES = ROOT / "samples"


def main() -> None:
    for digital in sorted(GOLD.glob("[0-9][0-9][0-9].json")):
        scan = SAMPLES / f"{digital.stem}_scan.pdf"
        data = json.loads(digital.read_text(encoding="utf-8"))
        with pymupdf.open(scan) as doc:
            n_pages = doc.page_count
        data["document"]["file"] = scan.name
        data["document"]["sha256"] = hashlib.sha256(scan.read_bytes()).hexdigest()
        data["line_items"] = [r for r in data["line_items"] if r["page"] <= n_pages]
        kept = [r for r in data["indicators"] if r["page"] <= n_pages]
        if len(kept) < len(data["indicators"]):  # indicators cut off: label only the tables
            tables = data["document"].get("labelled", {}).get("tables") or sorted({r["table"] for r in data["line_items"]})
            data["document"]["labelled"] = {"tables": tables, "indicators": False}
            kept = []
        data["indicators"] = kept
        out = GOLD / f"{digital.stem}_scan.json"
        out.write_text(dumps_contract(data), encoding="utf-8")
        print(f"{out.name}: {len(data['line_items'])} line items, {len(data['indicators'])} indicators")


if __name__ == "__main__":
    main()
