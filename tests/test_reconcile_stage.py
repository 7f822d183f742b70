"""The reconciler wired in: statuses in every output, `extractor reconcile`, auto's re-read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_strategies as ts
from conftest import GOLD
from pdfmaker import draw_table, new_pdf, save, write_text
from typer.testing import CliRunner

from extractor.cli import app
from extractor import pipeline
from extractor.pipeline import analyse, extract
from extractor.records import ContractFile, load_contract

runner = CliRunner()
COL = "总计"  # the total column of the chongqing gold's 支出总表

# 合计 printed 1,557.38 while its parts sum to 1,557.33: a published inconsistency.
BAD_TOTAL = [ts.ROWS[0], ["", "合计", "1,557.38", "1,196.33", "361.00"], *ts.ROWS[2:]]


def _pdf(tmp_path: Path, rows: list[list[str]], name: str = "t.pdf") -> Path:
    doc = new_pdf()
    page = doc.new_page(width=842, height=595)
    write_text(page, 300, 50, "部门支出总表", size=14)
    write_text(page, 700, 80, "单位：万元")
    draw_table(page, rows, [80, 200, 90, 90, 90], top=90)
    return save(doc, tmp_path / name)


def test_every_grid_record_gets_a_status_and_the_output_a_summary(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, ts.ROWS)
    result = runner.invoke(app, ["extract", str(pdf), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "t.json").read_text(encoding="utf-8"))
    assert {i["status"] for i in data["line_items"]} == {"ok"}
    totals = data["reconciliation"]["totals"]
    assert totals["violated"] == 0 and totals["identities"] >= 3
    assert totals["share_tables_all_holding"] == 1.0


def test_a_printed_inconsistency_is_kept_and_reported_with_its_page(tmp_path: Path) -> None:
    out = extract(analyse(_pdf(tmp_path, BAD_TOTAL)), "grid", None)
    total = next(i for i in out.doc.line_items if i.name == "合计")
    assert total.values["合计"] == "1557.38"  # the text layer prints it so: never "fixed"
    assert total.status == "inconsistent"
    assert out.reconciled is not None and out.reconciled.totals.corrected == 0
    assert all(c.status == "inconsistent" for c in out.reconciled.conflicts)


def _corrupted_gold(tmp_path: Path) -> tuple[Path, ContractFile, int, str]:
    gold = load_contract(GOLD / "corpus-chongqing-qixiang-2026.json")
    # A detail row (code of 7 digits) whose amounts take part in the hierarchy sums.
    index = next(i for i, item in enumerate(gold.line_items)
                 if item.code and len(item.code) == 7 and item.table == "支出总表"
                 and "8" in (item.values.get(COL) or ""))
    original = gold.line_items[index].values[COL]
    bad = gold.model_copy(deep=True)
    bad.line_items[index].values[COL] = original.replace("8", "3", 1)  # an OCR-style 8→3
    path = tmp_path / "bad.json"
    path.write_text(bad.to_json(), encoding="utf-8")
    return path, gold, index, original


def test_reconcile_command_restores_a_misread_digit_and_writes_the_document(tmp_path: Path) -> None:
    path, gold, index, original = _corrupted_gold(tmp_path)
    target = tmp_path / "fixed.json"
    result = runner.invoke(app, ["reconcile", str(path), "--out", str(target)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Corrections" in result.output and original in result.output
    fixed = json.loads(target.read_text(encoding="utf-8"))
    assert fixed["line_items"][index]["values"][COL] == original
    assert fixed["line_items"][index]["status"] == "corrected"
    (corr,) = fixed["reconciliation"]["corrections"]
    assert corr["new"] == original and corr["misreading"] == "digit_confusion" and corr["proof"]
    # Nothing else moved.
    for i, (a, b) in enumerate(zip(fixed["line_items"], gold.model_dump(mode="json")["line_items"])):
        assert a["values"] == b["values"], i


def test_reconcile_command_as_printed_changes_nothing_and_json_summary(tmp_path: Path) -> None:
    path, _, index, original = _corrupted_gold(tmp_path)
    target = tmp_path / "kept.json"
    result = runner.invoke(app, ["reconcile", str(path), "--as-printed", "--out", str(target), "--format", "json"])
    assert result.exit_code == 0, result.output  # inconsistencies alone are not a failure
    summary = json.loads(result.output)
    assert summary["totals"]["corrected"] == 0 and summary["totals"]["inconsistent"] >= 1
    kept = json.loads(target.read_text(encoding="utf-8"))
    assert kept["line_items"][index]["values"][COL] != original
    assert kept["line_items"][index]["status"] == "inconsistent"


def test_reconcile_command_refuses_a_file_outside_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"line_items": []}', encoding="utf-8")
    result = runner.invoke(app, ["reconcile", str(path)], terminal_width=300)
    assert result.exit_code == 2
    assert "not a contract document" in " ".join(result.output.split())


def test_auto_rereads_a_failing_table_and_keeps_the_grid_on_a_tie(tmp_path: Path) -> None:
    answer = {"rows": [
        {"row": "r1", "code": None, "name": "合计", "values": {"合计": "1557.38", "基本支出": "1196.33", "项目支出": "361.00"}},
        {"row": "r2", "code": "2040601", "name": "行政运行", "values": {"合计": "1196.33", "基本支出": "1196.33", "项目支出": None}},
        {"row": "r3", "code": "2040602", "name": "一般行政管理事务", "values": {"合计": "361.00", "基本支出": None, "项目支出": "361.00"}},
    ]}
    model, seen = ts._model(answer)
    out = extract(analyse(_pdf(tmp_path, BAD_TOTAL)), "auto", model)
    assert len(seen) == 1
    (entry,) = out.rereads
    assert entry.kept == "grid" and entry.grid_failing == entry.model_failing > 0
    assert all(i.provenance.method == "grid" for i in out.doc.line_items)


def test_auto_keeps_the_model_reading_when_its_identities_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = analyse(_pdf(tmp_path, BAD_TOTAL))
    good = extract(analyse(_pdf(tmp_path, ts.ROWS, "good.pdf")), "grid", None).doc.line_items

    def fake_read(model, step, document, out, items, indicators):  # type: ignore[no-untyped-def]
        for item in good:
            copy = item.model_copy(deep=True)
            copy.provenance.method = "llm"
            copy.provenance.chunk_id = step.table.id
            items.append(copy)

    monkeypatch.setattr(pipeline, "read_step", fake_read)
    model, _ = ts._model({})
    out = extract(analysis, "auto", model)
    (entry,) = out.rereads
    assert entry.kept == "model" and entry.model_failing == 0
    assert next(i for i in out.doc.line_items if i.name == "合计").values["合计"] == "1557.33"
    assert out.reconciled is not None and out.reconciled.totals.violated == 0
