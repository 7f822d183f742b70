"""Batch runs a hostile user would try: same names in two folders, outputs cut short by a
kill, documents whose model chunks failed, an endpoint that is down, CLI misuse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from extractor.cli import app
from extractor.config import LLMSettings, Settings
from extractor.extract.llm.client import EndpointDown, LLMError
from extractor.extract.strategies import Model
from extractor.records import LineItem
from extractor.run import STATE_FILE, plan_jobs, run_batch
from mockllm import mock_endpoint_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "000.pdf"  # 16 pages, 9 table chunks
runner = CliRunner()


def _settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache")


def _folders(tmp_path: Path) -> Path:
    for sub in ("a", "b"):
        (tmp_path / "in" / sub).mkdir(parents=True)
        shutil.copy(SAMPLE, tmp_path / "in" / sub / "doc.pdf")
    shutil.copy(SAMPLE, tmp_path / "in" / ".state.pdf")
    return tmp_path / "in"


def test_output_names_are_the_inputs_paths_made_safe(tmp_path: Path) -> None:
    root = _folders(tmp_path)
    names = [j.name for j in plan_jobs([root])]
    assert names == ["_.state.json", "a/doc.json", "b/doc.json"]
    assert [j.name for j in plan_jobs([root / "a", root / "b"])] == ["a/doc.json", "b/doc.json"]
    assert [j.name for j in plan_jobs([root / "a" / "doc.pdf"])] == ["doc.json"]


def test_same_name_in_two_folders_both_kept_and_state_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch(plan_jobs([_folders(tmp_path)]), out, _settings(tmp_path), "grid")
    assert [r.status for r in summary.results] == ["ok", "ok", "ok"]
    for name in ("a/doc.json", "b/doc.json", "_.state.json"):
        assert json.loads((out / name).read_text(encoding="utf-8"))["line_items"]
    assert json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["version"] == 2


def test_resume_redoes_an_output_cut_short_or_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    jobs = plan_jobs([_folders(tmp_path)])
    run_batch(jobs, out, _settings(tmp_path), "grid")
    (out / "a" / "doc.json").write_bytes(b"")  # killed mid-write by an older version, or truncated
    (out / "a" / ".doc.json.4242.tmp").write_text('{"document":', encoding="utf-8")  # a write a kill cut short
    for stale in (".run.duckdb.4242.tmp", ".run.duckdb.4242.tmp.wal", "dataset/.documents.csv.4242.tmp"):
        (out / stale).write_bytes(b"\0")  # the datasets' writes too
    (out / ".notes.tmp").write_text("a user's own file", encoding="utf-8")
    good = (out / "b" / "doc.json").read_text(encoding="utf-8")
    (out / "b" / "doc.json").write_text(good + " ", encoding="utf-8")  # changed since the run wrote it
    again = run_batch(jobs, out, _settings(tmp_path), "grid")
    assert [(r.file, r.status) for r in again.results] == [
        ("_.state.json", "skipped"), ("a/doc.json", "ok"), ("b/doc.json", "ok")]
    records = json.loads((out / "b" / "doc.json").read_text(encoding="utf-8"))
    assert records["line_items"] == json.loads(good)["line_items"]
    assert json.loads((out / "a" / "doc.json").read_text(encoding="utf-8"))["line_items"]
    assert [p.name for p in out.rglob("*.tmp*")] == [".notes.tmp"]  # no temporary write left behind


def _failing_model(status: int, calls: list[int], settings: LLMSettings | None = None) -> Model:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={"error": {"message": "boom"}})

    return mock_endpoint_model(handler, settings or LLMSettings(max_retries=0, max_reasks=0))


def test_failed_model_chunks_make_the_document_partial_and_a_resume_retries_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    calls: list[int] = []
    first = run_batch([SAMPLE], out, _settings(tmp_path), "llm", model=_failing_model(400, calls))
    assert [r.status for r in first.results] == ["partial"] and first.partial
    report = json.loads((out / "000.json").read_text(encoding="utf-8"))["report"]
    assert report["failures"] and report["pending"]
    before = len(calls)
    again = run_batch([SAMPLE], out, _settings(tmp_path), "llm", model=_failing_model(400, calls))
    assert again.results[0].status == "partial" and len(calls) > before  # retried, not skipped


def test_an_endpoint_down_is_declared_once_and_asked_nothing_more(tmp_path: Path) -> None:
    calls: list[int] = []
    model = _failing_model(503, calls, LLMSettings(max_retries=1, max_reasks=0, down_after=2))
    summary = run_batch([SAMPLE], tmp_path / "out", _settings(tmp_path), "llm", model=model)
    chunks = json.loads((tmp_path / "out" / "000.json").read_text(encoding="utf-8"))["report"]["pending"]
    assert len(chunks) > 3 and summary.results[0].status == "partial"
    # chunk 1: a try and a retry; chunk 2: one probe; then down: no more requests
    assert len(calls) == 3
    assert model.client.down is not None and "down" in chunks[-1]["reasons"][0]
    with pytest.raises(EndpointDown):
        model.client.ask(model.prompts["indicators"], type(None), "d", "c", "t")  # type: ignore[arg-type]
    assert issubclass(EndpointDown, LLMError)


def _timing_out_model(models_answer: bool, requests: list[str]) -> Model:
    """Every completion times out; GET /models answers (a slow endpoint) or times out too (hung)."""
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.path.endswith("/models") and models_answer:
            return httpx.Response(200, json={"object": "list", "data": []})
        raise httpx.ReadTimeout("no answer", request=request)

    return mock_endpoint_model(handler, LLMSettings(max_retries=4, max_reasks=0, down_after=3))


def test_a_hung_endpoint_is_declared_down_at_its_first_timeout(tmp_path: Path) -> None:
    requests: list[str] = []
    model = _timing_out_model(False, requests)
    run_batch([SAMPLE], tmp_path / "out", _settings(tmp_path), "llm", model=model)
    pending = json.loads((tmp_path / "out" / "000.json").read_text(encoding="utf-8"))["report"]["pending"]
    # one completion that timed out, one probe that did too: no retry, no second chunk asked
    assert requests == ["completions", "models"]
    assert model.client.down is not None and "hung" in model.client.down
    assert len(pending) > 3 and all("hung" in p["reasons"][0] for p in pending)


def test_a_slow_endpoint_that_answers_the_probe_is_retried(tmp_path: Path) -> None:
    requests: list[str] = []
    model = _timing_out_model(True, requests)
    model.client.settings = model.client.settings.model_copy(update={"max_retries": 1})
    run_batch([SAMPLE], tmp_path / "out", _settings(tmp_path), "llm", model=model)
    # chunk 1: a try, a probe, a retry (and its probe); chunks 2 and 3: one try and a probe each; then down
    assert requests.count("completions") == 4 and model.client.down is not None
    assert "3 chunks in a row" in model.client.down


def test_an_amount_of_more_than_20_integer_digits_is_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="23 integer digits; amounts have at most 20"):
        LineItem(table="支出总表", code=None, name="x", values={"合计": "1" * 23}, unit="万元", page=1)
    with pytest.raises(ValidationError, match="integer digits"):
        LineItem(table="支出总表", code=None, name="x", values={"合计": "9" * 100_000}, unit="万元", page=1)
    assert LineItem(table="支出总表", code=None, name="x", values={"合计": "-12.50"}, unit="万元", page=1)


def test_cli_misuse_gets_exit_2_and_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    def said(r) -> str:  # type: ignore[no-untyped-def]
        return " ".join(r.output.split())  # the console wraps long lines

    r = runner.invoke(app, ["extract", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "no PDF files found" in said(r)
    (tmp_path / "afile").write_text("x")
    r = runner.invoke(app, ["extract", str(SAMPLE), "--out", str(tmp_path / "afile")])
    assert r.exit_code == 2 and "is a file" in said(r)
    r = runner.invoke(app, ["inspect", str(SAMPLE), "--page", "99"])
    assert r.exit_code == 2 and "--page 99 is not in 000.pdf" in said(r)


def test_eval_score_names_unreadable_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch([SAMPLE], out, _settings(tmp_path), "grid")
    (out / "broken.json").write_text('{"document": {"file": "x.pdf"', encoding="utf-8")
    r = runner.invoke(app, ["eval", "score", str(out), "--gold", str(ROOT / "eval" / "gold")])
    said = " ".join(r.output.split())
    assert r.exit_code == 1 and "unreadable output, not scored" in said and "broken.json" in said


def test_the_run_as_datasets_csv_parquet_and_duckdb(tmp_path: Path) -> None:
    import duckdb
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    summary = run_batch(plan_jobs([_folders(tmp_path)]), out, _settings(tmp_path), "grid")
    assert sorted(Path(p).name for p in summary.datasets) == sorted(
        [f"{t}.{x}" for t in ("documents", "line_items", "indicators", "findings") for x in ("csv", "parquet")]
        + ["run.duckdb"])
    assert (out / "dataset" / "line_items.csv").read_bytes().startswith(b"\xef\xbb\xbf\"output\"")
    items = sum(len(json.loads((out / r.file).read_text(encoding="utf-8"))["line_items"]) for r in summary.results)
    con = duckdb.connect(str(out / "run.duckdb"), read_only=True)
    # one row per amount cell; every record of every output is there
    assert con.execute("SELECT count(DISTINCT (output, record)) FROM line_items").fetchone()[0] == items
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
    # one subject line across documents, in 万元, by the column's standard role
    code = con.execute("SELECT code FROM line_items WHERE code_level = '项' ORDER BY output, record LIMIT 1").fetchone()[0]
    rows = con.execute("SELECT output, value_wan FROM line_items WHERE code = ? AND role = '合计' "
                       "AND table_kind = '一般公共预算支出表'", [code]).fetchall()
    assert sorted(r[0] for r in rows) == ["_.state.json", "a/doc.json", "b/doc.json"]  # the same PDF three times
    assert len({r[1] for r in rows}) == 1 and rows[0][1] is not None
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert "line_items_支出总表" in views
    assert pq.read_table(out / "dataset" / "indicators.parquet").num_rows == con.execute(
        "SELECT count(*) FROM indicators").fetchone()[0]


def test_column_roles_and_regions_from_the_vocabulary() -> None:
    from extractor.dataset import column_role, region_of

    assert column_role("基本支出/人员经费") == ("人员经费", None)
    assert column_role("预算数/基本支出/小计") == ("基本支出", "预算数")
    assert column_role("“三公”经费/合计/预算数") == ("合计", "预算数")
    assert column_role("收入/预算数") == ("金额", "预算数")
    assert column_role("预算数/项目支出/扣除基建项目后预算数") == (None, "预算数")
    assert region_of("上海市普陀区商务委员会", "x.json") == "上海市普陀区"
    assert region_of("中共江苏省委办公厅", "x.json") == "江苏省"
    assert region_of(None, "广州/doc.json") == "广州"


def test_workers_give_the_same_outputs_as_one_process(tmp_path: Path) -> None:
    root = _folders(tmp_path)
    one = run_batch(plan_jobs([root]), tmp_path / "one", _settings(tmp_path), "grid", datasets=False)
    two = run_batch(plan_jobs([root]), tmp_path / "two", _settings(tmp_path), "grid", datasets=False, workers=2)
    assert [(r.file, r.status) for r in two.results] == [(r.file, r.status) for r in one.results]
    for r in one.results:
        a = json.loads((tmp_path / "one" / r.file).read_text(encoding="utf-8"))
        b = json.loads((tmp_path / "two" / r.file).read_text(encoding="utf-8"))
        assert a["line_items"] == b["line_items"] and a["indicators"] == b["indicators"]
        assert a["reconciliation"] == b["reconciliation"]
    again = run_batch(plan_jobs([root]), tmp_path / "two", _settings(tmp_path), "grid", datasets=False, workers=2)
    assert {r.status for r in again.results} == {"skipped"}  # the state written by the parent is trusted


def test_log_json_gives_one_line_per_document_and_one_for_the_run(tmp_path: Path) -> None:
    r = runner.invoke(app, ["run", str(_folders(tmp_path)), "--strategy", "grid", "--out", str(tmp_path / "o"),
                            "--log-json", "--workers", "1"])
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert r.exit_code == 0
    assert [x["event"] for x in lines] == ["document", "document", "document", "run"]
    assert [x["file"] for x in lines[:3]] == ["_.state.json", "a/doc.json", "b/doc.json"]
    assert lines[-1]["documents"] == 3 and lines[-1]["failed"] == 0 and lines[-1]["pages"] == 48


def test_outputs_are_typed_output_documents_and_match_the_generated_schema(tmp_path: Path) -> None:
    import jsonschema

    from extractor.output import OutputDocument

    schema = json.loads((ROOT / "schemas" / "output.schema.json").read_text(encoding="utf-8"))
    run_batch([SAMPLE, ROOT / "samples" / "004.pdf"], tmp_path / "out", _settings(tmp_path), "grid", datasets=False)
    for name in ("000.json", "004.json"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        data = json.loads(text)
        jsonschema.validate(data, schema)
        doc = OutputDocument.model_validate(data)
        assert doc.document.extraction is not None and doc.document.extraction.strategy == "grid"
        assert doc.reconciliation is not None and doc.reconciliation.totals.identities > 0
        assert json.loads(doc.model_dump_json()) == data  # nothing untyped rides along


def test_ray_executor_on_a_local_runtime_gives_the_local_outputs(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    root = _folders(tmp_path)
    local = run_batch(plan_jobs([root]), tmp_path / "local", _settings(tmp_path), "grid", datasets=False)
    ray_run = run_batch(plan_jobs([root]), tmp_path / "ray", _settings(tmp_path), "grid", datasets=False,
                        workers=2, executor="ray")
    assert [(r.file, r.status) for r in ray_run.results] == [(r.file, r.status) for r in local.results]
    for r in local.results:
        a = json.loads((tmp_path / "local" / r.file).read_text(encoding="utf-8"))
        b = json.loads((tmp_path / "ray" / r.file).read_text(encoding="utf-8"))
        assert (a["line_items"], a["indicators"], a["reconciliation"]) == (b["line_items"], b["indicators"],
                                                                          b["reconciliation"])
    again = run_batch(plan_jobs([root]), tmp_path / "ray", _settings(tmp_path), "grid", datasets=False,
                      workers=2, executor="ray")
    assert {r.status for r in again.results} == {"skipped"}


def test_a_hostile_folder_runs_to_the_end_and_names_every_failure(tmp_path: Path) -> None:
    """Broken, empty, encrypted and fake PDFs, a 500-page one, and a good sample twice under
    the same name: the good ones have outputs, each failure is named with its reason, exit 1."""
    import pymupdf

    root = tmp_path / "in"
    for sub in ("x", "y"):
        (root / sub).mkdir(parents=True)
        shutil.copy(SAMPLE, root / sub / "good.pdf")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    (root / "empty.pdf").write_bytes(b"")
    (root / "text.pdf").write_text("not a pdf at all", encoding="utf-8")
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    doc.save(root / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    big = pymupdf.open()
    for n in range(500):
        big.new_page().insert_text((72, 72), f"第{n + 1}页 情况说明")
    big.save(root / "big.pdf")
    r = runner.invoke(app, ["run", str(root), "--strategy", "grid", "--out", str(tmp_path / "o"), "--log-json",
                            "--workers", "2"])
    lines = {x["file"]: x for x in map(json.loads, r.stdout.splitlines()) if x.get("event") == "document"}
    assert r.exit_code == 1
    assert {f for f, x in lines.items() if x["status"] == "ok"} == {"x/good.json", "y/good.json", "big.json"}
    assert lines["big.json"]["pages"] == 500
    reasons = {f: x["error"] for f, x in lines.items() if x["status"] == "failed"}
    assert set(reasons) == {"broken.json", "empty.json", "text.json", "locked.json"}
    assert "encrypted" in reasons["locked.json"] and all(reasons.values())
    for name in ("x/good.json", "y/good.json", "big.json"):
        assert json.loads((tmp_path / "o" / name).read_text(encoding="utf-8"))["document"]["file"].endswith(".pdf")


def test_killed_three_times_and_resumed_gives_the_records_of_an_uninterrupted_run(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "in"
    root.mkdir()
    for name in ("000.pdf", "002.pdf", "003.pdf", "004.pdf"):
        shutil.copy(ROOT / "samples" / name, root / name)
    cmd = [sys.executable, "-m", "extractor", "run", str(root), "--strategy", "grid", "--workers", "1", "--quiet",
           "--out"]
    env = {**os.environ, "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([*cmd, str(tmp_path / "whole")], env=env, check=True, capture_output=True)
    for delay in (1.5, 2.0, 2.5):  # the imports take about a second; then documents are being written
        proc = subprocess.Popen([*cmd, str(tmp_path / "killed")], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    subprocess.run([*cmd, str(tmp_path / "killed")], env=env, check=True, capture_output=True)

    def records(folder: Path) -> dict[str, object]:
        out = {}
        for p in sorted(folder.glob("*.json")):
            if p.name.startswith("."):
                continue  # the state file
            data = json.loads(p.read_text(encoding="utf-8"))
            out[p.name] = (data["line_items"], data["indicators"], data["reconciliation"])
        return out

    assert records(tmp_path / "killed") == records(tmp_path / "whole")
    assert len(records(tmp_path / "whole")) == 4 and not list((tmp_path / "killed").rglob("*.tmp*"))


def test_every_failure_is_one_tree() -> None:
    from extractor.config import ConfigError
    from extractor.errors import ExtractorError
    from extractor.evaluation.runs import RunError
    from extractor.evaluation.suite import SuiteError
    from extractor.extract.llm.models import ModelError
    from extractor.extract.llm.prompts import PromptError
    from extractor.extract.llm.server import ServerError
    from extractor.extract.llm.usage import BudgetExceeded
    from extractor.read.ocr import OcrUnavailable
    from extractor.read.pdf import ReadError
    from extractor.run import ExecutorError

    for error in (ConfigError, RunError, SuiteError, ModelError, PromptError, ServerError, BudgetExceeded,
                  OcrUnavailable, ReadError, ExecutorError, LLMError, EndpointDown):
        assert issubclass(error, ExtractorError), error
