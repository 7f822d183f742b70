"""The correction queue: items with their evidence from outputs, sorted by risk; decisions
in one transaction each, with a version check and a record; export as a gold file that
scores 1.0 against the corrected truth; a kill in the middle of decisions loses none."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_reconcile_stage import _pdf  # the same one-table 部门支出总表 page
from typer.testing import CliRunner

from extractor.cli import app
from extractor.evaluation.score import score_document
from extractor.queue import Queue, QueueError, corrected, items_of

runner = CliRunner()
ROWS = [
    ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
    ["", "合计", "1557.33", "1157.33", "400.00"],
    ["201", "一般公共服务支出", "1557.33", "1157.33", "400.00"],
    ["20101", "人大事务", "1557.33", "1157.33", "400.00"],
    ["2010101", "行政运行", "1157.33", "1157.33", ""],
    ["2010102", "一般行政管理事务", "400.00", "", "400.00"],
]


@pytest.fixture()
def reviewed(tmp_path: Path) -> tuple[Path, Path]:
    """A document whose 行政运行 基本支出 is blank on the page: the sums fail, nobody can
    prove which figure is wrong; a run queues it."""
    broken = [row[:] for row in ROWS]
    broken[4][3] = ""
    (tmp_path / "in").mkdir()
    pdf = _pdf(tmp_path / "in", broken, "d.pdf")
    result = runner.invoke(app, ["extract", str(pdf), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    return tmp_path / "out", tmp_path / "out" / "queue.sqlite"


def test_a_run_queues_what_it_could_not_prove_with_its_evidence(reviewed: tuple[Path, Path]) -> None:
    out, db = reviewed
    q = Queue(db)
    items = q.list()
    conflicts = [i for i in items if i.kind == "conflict"]
    assert conflicts and conflicts[0] is items[0]  # the largest mismatch first
    item = conflicts[0]
    assert item.risk_wan > 0 and item.evidence["identities"]
    blank = next(c for c in item.cells if c.value is None)
    assert blank.label == "支出总表 2010101 行政运行 [基本支出]" and blank.page == 1 and blank.box is not None
    data = json.loads((out / "d.json").read_text(encoding="utf-8"))
    assert q.add(items_of("d.json", data)) == 0  # queued before: nothing twice


def test_decisions_are_checked_recorded_and_undone(reviewed: tuple[Path, Path]) -> None:
    _, db = reviewed
    q = Queue(db)
    item = next(i for i in q.list() if i.kind == "conflict")
    with pytest.raises(QueueError, match="not an amount"):
        q.decide(item.id, "set", "ann", item.version, {"支出总表 2010101 行政运行 [基本支出]": "12x"})
    with pytest.raises(QueueError, match="no item 999"):
        q.decide(999, "reject", "ann")
    done = q.decide(item.id, "set", "ann", item.version, {"支出总表 2010101 行政运行 [基本支出]": "1,157.33"})
    assert done.status == "set" and done.version == item.version + 1
    with pytest.raises(QueueError, match="decided by someone else"):
        q.decide(item.id, "reject", "bob", item.version)  # bob saw the old version
    (decision,) = q.decisions(item.id)
    assert decision["reviewer"] == "ann" and json.loads(decision["new"]) == {"支出总表 2010101 行政运行 [基本支出]": "1157.33"}
    assert json.loads(decision["old"])["支出总表 2010101 行政运行 [基本支出]"] is None
    assert "identities" in json.loads(decision["evidence"])["evidence"]
    assert q.undo(item.id, "ann").status == "open" and q.edits("d.json") == []


def test_the_exported_gold_file_scores_one_against_the_corrected_truth(reviewed: tuple[Path, Path], tmp_path: Path) -> None:
    out, db = reviewed
    item = next(i for i in Queue(db).list() if i.kind == "conflict")
    result = runner.invoke(app, ["queue", "set", str(item.id), "1157.33", "--cell", "支出总表 2010101 行政运行 [基本支出]",
                                 "--db", str(db), "--reviewer", "ann"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["queue", "export", str(out / "d.json"), "--out", str(tmp_path / "gold" / "d.json")])
    assert result.exit_code == 0, result.output
    gold = json.loads((tmp_path / "gold" / "d.json").read_text(encoding="utf-8"))
    truth = runner.invoke(app, ["extract", str(_pdf(tmp_path, ROWS, "truth.pdf")), "--out", str(tmp_path / "t")])
    assert truth.exit_code == 0
    expected = json.loads((tmp_path / "t" / "truth.json").read_text(encoding="utf-8"))
    assert score_document(expected, gold).overall.f1 == 1.0
    row = next(i for i in gold["line_items"] if i["name"] == "行政运行")
    assert row["values"]["基本支出"] == "1157.33" and row["provenance"]["method"] == "human"


def test_cli_misuse_and_unknown_items_get_exit_2(reviewed: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = reviewed
    assert runner.invoke(app, ["queue", "show", "999", "--db", str(db)]).exit_code == 2
    assert runner.invoke(app, ["queue", "list", "--db", str(tmp_path / "none.sqlite")]).exit_code == 2
    item = next(i for i in Queue(db).list() if i.kind == "conflict")
    several = runner.invoke(app, ["queue", "set", str(item.id), "1", "--db", str(db)])
    assert several.exit_code == 2 and "its cells" in several.output


def test_a_kill_in_the_middle_of_decisions_loses_and_doubles_none(reviewed: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = reviewed
    q = Queue(db)
    for n in range(3000):  # many items to decide
        q.add([*items_of(f"x{n}.json", {"document": {}, "report": {"pending": [{"chunk": "c", "pages": [1],
                                                                                 "reasons": ["r"]}]}})])
    total = len(q.list())
    script = ("import sys; from pathlib import Path; from extractor.queue import Queue\n"
              "q = Queue(Path(sys.argv[1]))\n"
              "for item in q.list():\n"
              "    q.decide(item.id, 'reject', 'bot', item.version)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(db)])
    deadline = time.monotonic() + 60
    while len(q.decisions()) < 100 and time.monotonic() < deadline:  # well into the batch
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    q.close()
    q = Queue(db)
    decided = [i for i in q.list(status=None) if i.status == "rejected"]
    decisions = q.decisions()
    assert 100 <= len(decided) < total  # killed mid-way
    assert len(decisions) == len(decided)  # every decision recorded once, with its item's status
    assert sorted(d["item"] for d in decisions) == sorted(i.id for i in decided)


def test_corrected_applies_only_decided_cells() -> None:
    data = {"document": {"file": "d.pdf", "sha256": "0" * 64},
            "line_items": [{"table": "支出总表", "code": None, "name": "合计", "values": {"合计": None},
                            "unit": "万元", "page": 1}]}
    item = items_of("d.json", {**data, "reconciliation": {"conflicts": [
        {"status": "conflict", "mismatch_wan": "5", "reason": "x", "cells": ["支出总表 合计 [合计]"], "pages": [1]}]}})[0]
    doc = corrected(data, [(item.cells[0], "5.00")])
    assert doc.line_items[0].values == {"合计": "5.00"}


def test_gold_merge_shows_the_cells_it_changes_and_writes_on_confirmation(reviewed: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    out, db = reviewed
    item = next(i for i in Queue(db).list() if i.kind == "conflict")
    Queue(db).decide(item.id, "set", "ann", item.version, {"支出总表 2010101 行政运行 [基本支出]": "1157.33"})
    assert runner.invoke(app, ["queue", "export", str(out / "d.json"), "--out", str(tmp_path / "x" / "d.json")]).exit_code == 0
    gold = tmp_path / "gold"
    first = runner.invoke(app, ["eval", "gold", "merge", str(tmp_path / "x" / "d.json"), "--gold", str(gold), "--yes"])
    assert first.exit_code == 0 and "new file" in first.output and (gold / "d.json").is_file()
    changed = json.loads((tmp_path / "x" / "d.json").read_text(encoding="utf-8"))
    next(i for i in changed["line_items"] if i["name"] == "行政运行")["values"]["合计"] = "1157.34"
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "d.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    declined = runner.invoke(app, ["eval", "gold", "merge", str(tmp_path / "y" / "d.json"), "--gold", str(gold)],
                             input="n\n")
    assert "1 cell(s) change" in declined.output and "1157.34" in declined.output and "0 gold file(s)" in declined.output
    assert json.loads((gold / "d.json").read_text(encoding="utf-8")) != changed  # declined: nothing written


def test_queue_add_finds_each_outputs_source_pdf_by_name_and_hash(reviewed: tuple[Path, Path], tmp_path: Path) -> None:
    out, _ = reviewed
    db = tmp_path / "again.sqlite"
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "d.pdf").write_bytes(b"%PDF-1.4 not the same file")  # same name, other bytes: not its source
    result = runner.invoke(app, ["queue", "add", str(out), "--db", str(db), "--pdfs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert Queue(db).source("d.json") == (tmp_path / "in" / "d.pdf").resolve()


def test_conflict_cells_come_from_the_refs_the_reconciler_gives_indicators_included() -> None:
    data = {"document": {"file": "d.pdf", "sha256": "0" * 64},
            "indicators": [{"scope": "部门整体", "project": None, "level1": "产出指标", "level2": "社会效益指标",
                            "name": "有效投诉率", "operator": "≤", "value": "1", "unit": "%", "page": 2}],
            "reconciliation": {"conflicts": [{"status": "inconsistent", "mismatch_wan": "0", "reason": "x",
                                              "cells": ["绩效 部门整体 · 有效投诉率 [level2]"], "pages": [2],
                                              "refs": [{"collection": "indicators", "index": 0, "field": "level2"}]}]}}
    (item,) = items_of("d.json", data)
    assert [(c.collection, c.field, c.value, c.page) for c in item.cells] == [("indicators", "level2", "社会效益指标", 2)]


def test_a_second_look_on_a_scan_is_queued_with_both_readings() -> None:
    data = {"document": {"file": "d.pdf", "sha256": "0" * 64},
            "indicators": [{"scope": "项目", "project": "p", "level1": "产出指标", "level2": "数量指标",
                            "name": "购买图书", "operator": "≥", "value": "4", "unit": "批次", "page": 10,
                            "flags": ["second_look:operator:2"],
                            "provenance": {"page": 10, "cells": {"operator": {
                                "page": 10, "box": [1, 2, 3, 4], "text": "≥", "read": "2"}}}}]}
    (item,) = items_of("d.json", data)
    assert item.kind == "flag" and item.message.startswith("second_look:operator:2")
    assert [(c.field, c.value, c.printed, c.box) for c in item.cells] == [("operator", "≥", "≥", (1, 2, 3, 4))]
