"""`extractor eval` score / compare / list / run / show on small runs made in tmp folders."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from extractor.cli import app
from extractor.evaluation.suite import load_suite, run_suite

runner = CliRunner()


def _doc(file: str, items: list[dict], indicators: list[dict] | None = None) -> dict:
    return {"document": {"file": file, "sha256": (file.encode().hex() * 64)[:64]},
            "line_items": items, "indicators": indicators or []}


def _li(name: str, total: str | None, code: str | None = None, page: int = 2, text: str | None = None) -> dict:
    r = {"table": "支出总表", "code": code, "name": name, "values": {"合计": total}, "unit": "万元", "page": page}
    if text is not None:
        r["provenance"] = {"method": "grid", "page": page, "cells": {"values.合计": {"page": page, "text": text}}}
    return r


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    gold = tmp_path / "gold"
    a, b = tmp_path / "runA", tmp_path / "runB"
    for d in (gold, a, b):
        d.mkdir()
    g = _doc("one.pdf", [_li("合计", "30"), _li("行政运行", "10", "2010101"), _li("机关服务", "20", "2010102")])
    (gold / "one.json").write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
    pa = copy.deepcopy(g)
    pa["line_items"][1] = _li("行政运行", "10", "2010101", text="10.00")
    pa["line_items"][2] = _li("机关服务", "2O", "2010102", page=3, text="2O")  # OCR letter O: wrong
    pb = copy.deepcopy(g)
    pb["line_items"][1] = _li("行政运行", "18", "2010101", text="1 8")  # now wrong
    pb["line_items"][2] = _li("机关服务", "20", "2010102", page=3, text="20")  # now right
    # run B names its file differently: pairs with gold by sha256
    pb["document"]["file"] = "renamed.pdf"
    (a / "one.json").write_text(json.dumps(pa, ensure_ascii=False), encoding="utf-8")
    (b / "x.json").write_text(json.dumps(pb, ensure_ascii=False), encoding="utf-8")
    (a / ".state.json").write_text("{}", encoding="utf-8")
    return {"gold": gold, "a": a, "b": b, "tmp": tmp_path}


def test_score_table_and_json(runs) -> None:
    res = runner.invoke(app, ["eval", "score", str(runs["a"]), "--gold", str(runs["gold"])], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "overall" in res.output and "gold-free" in res.output and "one.pdf" in res.output
    res = runner.invoke(app, ["eval", "score", str(runs["a"]), "--gold", str(runs["gold"]), "--format", "json"])
    data = json.loads(res.stdout)
    o = data["overall"]
    assert (o["correct"], o["predicted"], o["gold"]) == (5, 6, 6) and o["f1"] == pytest.approx(5 / 6, abs=1e-6)
    assert data["documents"]["one.pdf"]["row_recall"] == 1.0
    assert data["fields"]["values.合计"]["correct"] == 2 and "支出总表" in data["tables"]
    assert "gold_free" in o


def test_html_report_is_self_contained(runs) -> None:
    target = runs["tmp"] / "report.html"
    res = runner.invoke(app, ["eval", "score", str(runs["a"]), "--gold", str(runs["gold"]), "--html", str(target)])
    assert res.exit_code == 0, res.output
    page = target.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and "per table kind" in page and "机关服务" in page
    external = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page, re.I)
    assert external == []


def test_compare_lists_flipped_cells_with_page_and_text(runs) -> None:
    args = ["eval", "compare", str(runs["a"]), str(runs["b"]), "--gold", str(runs["gold"])]
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "right → wrong (1)" in res.output and "wrong → right (1)" in res.output
    assert "1 8" in res.output and "2O" in res.output
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    (broken,), (fixed,) = data["right_to_wrong"], data["wrong_to_right"]
    assert broken["cell"].startswith("支出总表 2010101 行政运行") and broken["page"] == 2
    assert (broken["gold"], broken["a"], broken["b"], broken["source"]) == ("10", "10", "18", "1 8")
    assert (fixed["a"], fixed["b"], fixed["page"], fixed["source"]) == ("2O", "20", 3, "20")
    assert data["overall"]["f1_delta"] == 0.0 and data["documents"]["one.pdf"]["f1_delta"] == 0.0


def test_gold_free_na_shown_when_reconciler_raises(runs, monkeypatch) -> None:
    from extractor.evaluation import goldfree

    monkeypatch.setattr(goldfree, "_identities", lambda doc: 1 / 0)
    res = runner.invoke(app, ["eval", "score", str(runs["a"]), "--gold", str(runs["gold"])], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "n/a" in res.output


def _fake_runner(calls: list):
    def run(files, out_dir, settings, strategy, resume=True, prompt_versions=None, **_):
        calls.append((strategy, settings.llm.base_url, settings.llm.model, prompt_versions))
        out_dir.mkdir(parents=True, exist_ok=True)
        gold = json.loads((ROOT / "eval" / "gold" / "003.json").read_text(encoding="utf-8"))
        if strategy != "grid":
            gold["indicators"] = gold["indicators"][:10]
        (out_dir / "003.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
        return None
    return run


def test_suite_matrix_run_store_list_show(tmp_path: Path) -> None:
    suite = tmp_path / "mini.toml"
    suite.write_text(f"""
name = "mini"
root = "{ROOT}"
documents = ["samples/003.pdf", "samples/nope.pdf"]
[matrix]
strategies = ["grid", "auto"]
models = ["default", {{name = "remote", base_url = "http://127.0.0.1:9/v1", model = "m"}}]
prompts = ["v1", {{indicators = "v1"}}]
""", encoding="utf-8")
    s = load_suite(suite)
    assert s.missing == ["samples/nope.pdf"] and [p.name for p in s.documents] == ["003.pdf"]
    assert len(s.cells) == 1 + 2 * 2  # grid once, auto × 2 models × 2 prompt sets (v1 == {indicators=v1} here)
    calls: list = []
    notes: list[str] = []
    runs_dir = tmp_path / "runs"
    done = run_suite(s, load_settings_plain(), runs_dir, runner=_fake_runner(calls), echo=notes.append)
    assert any("skipping samples/nope.pdf" in n for n in notes)
    assert [c[0] for c in calls] == ["grid", "auto", "auto", "auto", "auto"]
    assert ("auto", "http://127.0.0.1:9/v1", "m",
            {"indicators": "v1", "line_items": "v1", "layout": "v1", "segment": "v1"}) in calls
    assert done[0].key.startswith("mini__grid__") and "__remote__p" in done[-1].key
    meta = json.loads((done[-1].folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["model"] == "remote" and meta["documents"] == ["samples/003.pdf"]
    assert done[0].score["overall"]["f1"] == 1.0 and done[-1].score["overall"]["f1"] < 1.0

    res = runner.invoke(app, ["eval", "list", "--runs-dir", str(runs_dir)], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and res.output.count("mini__") == 5, res.output
    res = runner.invoke(app, ["eval", "show", done[0].key, done[-1].key, "--runs-dir", str(runs_dir)],
                        env={"COLUMNS": "250"})
    assert res.exit_code == 0 and "1.0000" in res.output, res.output
    res = runner.invoke(app, ["eval", "compare", "mini__auto", done[-1].key, "--runs-dir", str(runs_dir)])
    assert res.exit_code == 2  # an ambiguous prefix is refused
    res = runner.invoke(app, ["eval", "compare", done[0].key, done[-1].key, "--runs-dir", str(runs_dir)],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "right → wrong" in res.output


def load_settings_plain():
    from extractor.config import Settings

    return Settings()


def test_eval_run_grid_for_real(tmp_path: Path) -> None:
    suite = tmp_path / "real.toml"
    suite.write_text(f'name = "real"\nroot = "{ROOT}"\ndocuments = ["samples/003.pdf", "../nowhere/x.pdf"]\n'
                     '[matrix]\nstrategies = ["grid"]\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", "run", str(suite), "--runs-dir", str(tmp_path / "runs")], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "skipping ../nowhere/x.pdf" in res.output and "F1 1.0000" in res.output
    (folder,) = (tmp_path / "runs").iterdir()
    assert (folder / "out" / "003.json").is_file() and (folder / "score.json").is_file()


def test_shipped_suites_load() -> None:
    for name in ("samples", "corpus"):
        s = load_suite(ROOT / "eval" / "suites" / f"{name}.toml")
        assert {c.strategy for c in s.cells} == {"grid", "auto"}
    assert len(load_suite(ROOT / "eval" / "suites" / "samples.toml").documents) == 14  # 4 digital, 4 scanned, 6 scan variants
