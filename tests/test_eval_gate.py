"""The regression gate: grid strategy on the samples (digital and scanned) (+ corpus gold documents when
../shared/corpus is there) must not score below eval/baselines/grid.json anywhere.

Raise the baseline after an improvement (see eval/README.md):
    python -m extractor.evaluation.baseline --write     (or: extractor eval baseline --write)
"""

from __future__ import annotations

import copy

import pytest

from extractor.evaluation import baseline


@pytest.fixture(scope="module")
def measured() -> dict:
    return baseline.measure()


def test_grid_does_not_regress(measured) -> None:
    committed = baseline.load_baseline()
    assert committed is not None, "no eval/baselines/grid.json: run python -m extractor.evaluation.baseline --write"
    verdict = baseline.check(measured, committed)
    print(verdict.text())
    assert verdict.ok, "grid strategy regressed against eval/baselines/grid.json:\n" + verdict.text()
    assert {"000.pdf", "002.pdf", "003.pdf", "004.pdf"} <= set(measured["documents"])


def test_gate_catches_a_one_cell_drop(measured) -> None:
    worse = copy.deepcopy(measured)
    doc = worse["documents"]["003.pdf"]
    doc["correct"] -= 1
    doc["precision"] = doc["correct"] / doc["predicted"]
    doc["recall"] = doc["correct"] / doc["gold"]
    doc["f1"] = 2 * doc["precision"] * doc["recall"] / (doc["precision"] + doc["recall"])
    doc["misses"]["指标 某指标 [value]"] = "96 → 69 (p3)"
    verdict = baseline.check(worse, measured)
    assert not verdict.ok and any("003.pdf: f1" in d for d in verdict.drops)
    assert "指标 某指标 [value]: now 96 → 69 (p3)" in verdict.text()
    assert baseline.check(measured, worse).ok  # the other way round is a gain
