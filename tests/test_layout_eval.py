"""The layout mapper's eval: the labelled suite loads and is complete, scoring per column
and per table is right, and a recorded run of the default model replays offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.evaluation.layouts import BlockResult, SuiteBlock, load_suite, score_block, summarize
from extractor.layouts import BUDGET_ROLES, INDICATOR_ROLES, KINDS

SUITE = Path(__file__).resolve().parents[1] / "eval" / "suites" / "header_blocks.jsonl"


def test_suite_is_labelled_whole() -> None:
    blocks = load_suite(SUITE)
    assert len(blocks) >= 60
    assert len({b.signature for b in blocks}) == len(blocks)  # one block per distinct header
    for b in blocks:
        assert b.kind in KINDS and len(b.roles) == len(b.columns)
        allowed = INDICATOR_ROLES if b.kind == "绩效目标表" else BUDGET_ROLES
        assert set(b.roles) <= set(allowed), b.id
    kinds = {b.kind for b in blocks}
    assert {"支出总表", "收支总表", "绩效目标表", "三公经费表"} <= kinds


def _block(roles: list[str], kind: str = "支出总表") -> SuiteBlock:
    return SuiteBlock(id="x", file="x.pdf", pages=[1], columns=[f"h{i}" for i in range(len(roles))], rows=[],
                      kind=kind, roles=roles)


def test_scores_per_column_and_per_table() -> None:
    b = _block(["code", "label", "amount", "amount"])
    exact = score_block(b, "支出总表", ["code", "label", "amount", "amount"], completion_tokens=20)
    one_off = score_block(b, "支出总表", ["label", "label", "amount", "amount"], completion_tokens=30)
    wrong_kind = score_block(b, "收入总表", ["code", "label", "amount", "amount"])
    failed = score_block(b, None, None, error="no valid answer")
    s = summarize([exact, one_off, wrong_kind, failed])
    assert (exact.correct, one_off.correct, failed.correct) == (4, 3, 0)
    assert s.tables_exact == 1 and s.failed == 1 and s.columns == 16
    assert s.column_accuracy == pytest.approx(11 / 16) and s.kind_accuracy == pytest.approx(2 / 4)
    assert s.per_role["code"] == (2, 4) and s.completion_tokens_per_table == pytest.approx(12.5)


def test_target_and_value_are_one_role() -> None:
    b = _block(["name", "target", "weight"], kind="绩效目标表")
    assert score_block(b, "绩效目标表", ["name", "value", "weight"]).correct == 3
    assert isinstance(score_block(b, "绩效目标表", ["name", "value", "weight"]), BlockResult)


def test_default_model_on_suite_blocks_recorded(model) -> None:  # noqa: ANN001 - the conftest fixture
    """Six blocks spread over the suite through the default embedded model (layout prompt v3),
    replayed from the cassette: every answer parses, and the column accuracy is at least the
    figure measured when it was recorded."""
    from extractor.evaluation.layouts import run_mapper
    from extractor.extract.llm import prompts

    model.prompts["layout"] = prompts.load("layout", "v3")
    blocks = load_suite(SUITE)
    picked = [blocks[i * len(blocks) // 6] for i in range(6)]
    results = run_mapper(model, picked)
    s = summarize(results)
    assert s.failed == 0
    assert s.column_accuracy >= MEASURED_FLOOR
    assert s.completion_tokens_per_table < 100  # roles only: a short answer


MEASURED_FLOOR = 1.0  # measured when recorded: 41 of 41 columns, 6 of 6 tables exact, 53.5 answer tokens a table
