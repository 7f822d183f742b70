"""The strategies on a small made-up table, with the model answered by a mock endpoint."""

from __future__ import annotations

from pathlib import Path

import httpx
from mockllm import completion, mock_endpoint_model, mock_model
from pdfmaker import draw_table, new_pdf, save, write_text

from extractor.extract.strategies import Model
from extractor.pipeline import analyse, extract

ROWS = [
    ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
    ["", "合计", "1,557.33", "1,196.33", "361.00"],
    ["2040601", "行政运行", "1,196.33", "1,196.33", ""],
    ["2040602", "一般行政管理事务", "361.00", "", "361.00"],
]


def _pdf(tmp_path: Path) -> Path:
    doc = new_pdf()
    page = doc.new_page(width=842, height=595)
    write_text(page, 300, 50, "部门支出总表", size=14)
    write_text(page, 700, 80, "单位：万元")
    draw_table(page, ROWS, [80, 200, 90, 90, 90], top=90)
    return save(doc, tmp_path / "t.pdf")


def _model(answer: dict) -> tuple[Model, list[dict]]:
    return mock_model([answer])


# The model misreads one cell (1196.38) and shifts another into the wrong column.
ANSWER = {"rows": [
    {"row": "r1", "code": None, "name": "合计", "values": {"合计": "1557.33", "基本支出": "1196.33", "项目支出": "361.00"}},
    {"row": "r2", "code": "2040601", "name": "行政运行", "values": {"合计": "1196.38", "基本支出": "1196.33", "项目支出": None}},
    {"row": "r3", "code": "2040602", "name": "一般行政管理事务", "values": {"合计": "361.00", "基本支出": "361.00", "项目支出": None}},
]}


def test_llm_strategy_keeps_only_grounded_numbers(tmp_path: Path) -> None:
    model, seen = _model(ANSWER)
    out = extract(analyse(_pdf(tmp_path)), "llm", model)
    items = {i.name: i for i in out.doc.line_items}
    assert items["合计"].values == {"合计": "1557.33", "基本支出": "1196.33", "项目支出": "361.00"}
    assert items["行政运行"].values["合计"] is None and "ungrounded:values.合计" in items["行政运行"].flags
    assert items["一般行政管理事务"].values["基本支出"] is None  # printed under 项目支出, not 基本支出
    assert len(seen) == 2  # the ungrounded answer was sent back once
    assert all(i.provenance.method == "llm" for i in out.doc.line_items)


def test_both_strategy_flags_disagreements_and_keeps_the_grid(tmp_path: Path) -> None:
    model, _ = _model(ANSWER)
    out = extract(analyse(_pdf(tmp_path)), "both", model)
    items = {i.name: i for i in out.doc.line_items}
    assert items["行政运行"].values["合计"] == "1196.33"  # the grid's reading stands
    assert items["行政运行"].provenance.method == "grid"
    assert any("行政运行 / 合计" in d for d in out.disagreements)
    assert "disagree:values.合计" in items["行政运行"].flags


def test_grid_and_auto_need_no_call_for_a_recognised_table(tmp_path: Path) -> None:
    model, seen = _model(ANSWER)
    for strategy in ("grid", "auto"):
        out = extract(analyse(_pdf(tmp_path)), strategy, model)
        assert [i.code for i in out.doc.line_items] == [None, "2040601", "2040602"]
    assert len(seen) == 0


def test_an_answer_cut_at_max_tokens_fails_the_chunk_not_the_document(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return completion('{"rows": [{"row": "r1", "na', finish_reason="length")

    model = mock_endpoint_model(handler)
    out = extract(analyse(_pdf(tmp_path)), "llm", model)
    assert out.doc.line_items == [] and len(out.failures) == 1
    assert "p1-t1" in out.failures[0] and [p.chunk_id for p in out.pending] == ["p1-t1"]
