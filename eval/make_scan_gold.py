"""Derive the scanned samples' gold files from the digital samples' gold.

A scanned sample prints the same pages as its digital twin, so its gold is the same
records under the scan's file name and sha256; 002's scan keeps pages 1-15 only, so
its gold keeps the records printed there (the budget tables) and no indicators.

The scan variants of 000 (`samples/000_<variant>.pdf`, made by `samples/make_scans.py
--samples` from pages 1-9 of 000.pdf) get 000's records printed on those pages,
renumbered to the variant's pages; two_up prints two pages a sheet, so a record of page
p sits on sheet ceil(p / 2). The indicators (pp. 10-16) are cut off: only the tables
are labelled.

    python eval/make_scan_gold.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pymupdf

from extractor.records import dumps_contract

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold"
SAMPLES = ROOT / "samples"

sys.path.insert(0, str(SAMPLES))
from make_scans import SAMPLE_PAGES, SAMPLE_SEEDS, SAMPLE_SOURCE


def scan_gold(data: dict[str, Any], scan: Path, first: int, last: int, per_sheet: int = 1) -> dict[str, Any]:
    """Gold for `scan`, which prints pages first..last of the gold's document, `per_sheet`
    pages on each of its pages."""
    data = json.loads(json.dumps(data))  # a copy
    data["document"]["file"] = scan.name
    data["document"]["sha256"] = hashlib.sha256(scan.read_bytes()).hexdigest()

    def kept(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for r in records:
            if first <= r["page"] <= last:
                r["page"] = (r["page"] - first) // per_sheet + 1
                out.append(r)
        return out

    n_indicators = len(data["indicators"])
    data["line_items"] = kept(data["line_items"])
    indicators = kept(data["indicators"])
    if len(indicators) < n_indicators:  # indicators cut off: label only the tables
        tables = data["document"].get("labelled", {}).get("tables") or sorted({r["table"] for r in data["line_items"]})
        data["document"]["labelled"] = {"tables": tables, "indicators": False}
        indicators = []
    data["indicators"] = indicators
    return data


def write(data: dict[str, Any], out: Path) -> None:
    out.write_text(dumps_contract(data), encoding="utf-8")
    print(f"{out.name}: {len(data['line_items'])} line items, {len(data['indicators'])} indicators")


def main() -> None:
    for digital in sorted(GOLD.glob("[0-9][0-9][0-9].json")):
        scan = SAMPLES / f"{digital.stem}_scan.pdf"
        data = json.loads(digital.read_text(encoding="utf-8"))
        with pymupdf.open(scan) as doc:
            n_pages = doc.page_count
        write(scan_gold(data, scan, 1, n_pages), GOLD / f"{digital.stem}_scan.json")
    source = Path(SAMPLE_SOURCE).stem
    data = json.loads((GOLD / f"{source}.json").read_text(encoding="utf-8"))
    first, last = SAMPLE_PAGES
    for variant in SAMPLE_SEEDS:
        scan = SAMPLES / f"{source}_{variant}.pdf"
        write(scan_gold(data, scan, first, last, 2 if variant == "two_up" else 1), GOLD / f"{source}_{variant}.json")


if __name__ == "__main__":
    main()
