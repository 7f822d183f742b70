"""The model layer: prompts, validation, grounding, budget, cache, retries — and one live
test through the embedded server (skipped only where no local model is installed; in CI
the README's set-up installs it)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import openai
import pytest
from pydantic import ValidationError

from extractor.chunk import Chunk, ChunkCell
from extractor.config import LLMSettings, load_settings
from extractor.extract.llm import prompts, tasks
from extractor.extract.llm.client import Endpoint, LLMClient, LLMError, _transient, endpoint_kind
from extractor.extract.llm.grounding import ground_indicators, ground_rows
from extractor.extract.llm.responses import IndicatorOut, LineItemsOut, RowOut
from extractor.extract.llm.usage import BudgetExceeded, Ledger, token_bound

PROSE = "一、产出指标 (一) 数量指标 1. 村(社区)人民调解员542人。 三、满意度指标：群众满意度≥85%。"


def _text_chunk(text: str = PROSE) -> Chunk:
    return Chunk(id="p1-t1-r3c4", kind="text", pages=[1], text=text,
                 cells=[ChunkCell(ref="text", page=1, box=(10, 20, 300, 60), text=text)])


def test_every_task_has_a_versioned_prompt_with_the_rules() -> None:
    for task in ("indicators", "line_items", "layout"):
        p = prompts.load(task)
        assert p.version.startswith("v") and p.id == f"{task}/{p.version}"
        assert "JSON" in p.system
    assert "Never compute" in prompts.load("indicators").system
    messages = prompts.load("indicators", "v1").messages(chunk=_text_chunk())
    assert messages[1]["content"].endswith(PROSE)


def test_response_models_check_what_they_can_at_once() -> None:
    IndicatorOut(level1="产出指标", level2="数量指标", name="x", operator="≥", value="96", unit="%")
    with pytest.raises(ValidationError, match="not under"):
        IndicatorOut(level1="产出指标", level2="社会效益指标", name="x")
    with pytest.raises(ValidationError):
        IndicatorOut(level1="产出指标", name="x", operator="≈")
    with pytest.raises(ValidationError, match="numeric value"):
        IndicatorOut(name="x", operator="≥", value="好")
    with pytest.raises(ValidationError, match="3, 5 or 7 digits"):
        RowOut(row="r1", code="2040", name="x", values={})
    ctx = {"amount_keys": ["合计"], "row_ids": {"r1"}}
    with pytest.raises(ValidationError, match="unknown column"):
        LineItemsOut.model_validate({"rows": [{"row": "r1", "name": "x", "values": {"金额": "1"}}]}, context=ctx)
    with pytest.raises(ValidationError, match="not in the table"):
        LineItemsOut.model_validate({"rows": [{"row": "r9", "name": "x", "values": {}}]}, context=ctx)
    ok = LineItemsOut.model_validate({"rows": [{"row": "r1", "name": "x", "values": {"合计": "1,557.33"}}]}, context=ctx)
    assert ok.rows[0].values == {"合计": "1557.33"}


def test_grounding_keeps_printed_values_and_drops_invented_ones() -> None:
    answer = [
        IndicatorOut(level1="产出指标", level2="数量指标", name="村(社区)人民调解员", value="542", unit="人"),
        IndicatorOut(level1="满意度指标", name="群众满意度", operator="≥", value="86", unit="%"),  # invented
    ]
    got = ground_indicators(answer, _text_chunk(), "项目", "人民调解员补贴经费")
    assert got.indicators[0].value == "542" and got.indicators[0].provenance.cells["value"].page == 1
    assert got.indicators[1].value is None and "ungrounded:value" in got.indicators[1].flags
    assert len(got.errors) == 1 and "'86'" in got.errors[0]


def test_grounding_rows_needs_the_same_row_and_column() -> None:
    cells = [
        ChunkCell(ref="r1c0", page=2, box=(0, 0, 10, 10), text="2040601"),
        ChunkCell(ref="r1c1", page=2, box=(10, 0, 50, 10), text="行政运行"),
        ChunkCell(ref="r1c2", page=2, box=(50, 0, 80, 10), text="1,157.59"),
        ChunkCell(ref="r1c3", page=2, box=(80, 0, 99, 10), text="1,157.59"),
    ]
    chunk = Chunk(id="p2-t1", kind="table", pages=[2], text="r1\t2040601\t行政运行\t1,157.59\t1,157.59\t", cells=cells)
    columns = {2: "合计", 3: "基本支出", 4: "项目支出"}
    shifted = RowOut(row="r1", code="2040601", name="行政运行",
                     values={"合计": "1157.59", "基本支出": None, "项目支出": "1157.59"})
    got = ground_rows([shifted], chunk, columns, "支出总表", "万元")
    item = got.line_items[0]
    assert item.values == {"合计": "1157.59", "基本支出": None, "项目支出": None}
    assert item.provenance.cells["values.合计"].text == "1,157.59"
    assert item.code == "2040601" and "ungrounded:values.项目支出" in item.flags


def test_budget_is_never_exceeded() -> None:
    ledger = Ledger(budget=1000)
    messages = [{"role": "user", "content": "x" * 100}]
    bound = token_bound(messages, max_tokens=200, attempts=2)
    assert bound > 2 * (100 + 200)
    with pytest.raises(BudgetExceeded):
        ledger.reserve(1001)
    ledger.reserve(600)
    with pytest.raises(BudgetExceeded):
        ledger.reserve(401)


def test_transient_errors_are_recognised_through_wrappers() -> None:
    request = httpx.Request("POST", "http://x/v1/chat/completions")
    err = openai.RateLimitError("slow down", response=httpx.Response(429, request=request), body=None)
    wrapper = RuntimeError("instructor gave up")
    wrapper.__cause__ = err
    assert _transient(err) and _transient(wrapper)
    bad = openai.BadRequestError("no", response=httpx.Response(400, request=request), body=None)
    assert not _transient(bad)


def test_endpoint_kinds_pick_their_mode() -> None:
    assert endpoint_kind("https://api.openai.com/v1") == "openai"
    assert endpoint_kind("https://api.deepseek.com/v1") == "deepseek"
    assert endpoint_kind("https://dashscope.aliyuncs.com/compatible-mode/v1") == "dashscope"
    assert endpoint_kind("http://localhost:11434/v1") == "ollama"


def test_retries_then_fails_the_chunk_not_the_run(tmp_path: Path) -> None:
    """A server that always answers 503: tenacity retries, then one clear LLMError."""
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(503, headers={"retry-after": "0"}, json={"error": {"message": "busy"}})

    endpoint = Endpoint("http://llm.test/v1", "m", "other", "tools")
    client = LLMClient(endpoint, LLMSettings(max_retries=2, max_reasks=0), Ledger(), cache_dir=None,
                       http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(LLMError):
        tasks.indicators(client, prompts.load("indicators"), _text_chunk(), "d.pdf", "项目", None)
    assert calls["n"] == 3


def test_answers_are_cached_on_disk(tmp_path: Path) -> None:
    body = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content":
                         '{"indicators": [{"level1": "满意度指标", "name": "群众满意度", "operator": "≥", "value": "85", "unit": "%"}]}'}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(200, json=body)

    endpoint = Endpoint("http://llm.test/v1", "m", "embedded", "json")
    ledger = Ledger()
    for _ in range(2):
        client = LLMClient(endpoint, LLMSettings(max_retries=0), ledger, cache_dir=tmp_path,
                           http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        got = tasks.indicators(client, prompts.load("indicators"), _text_chunk(), "d.pdf", "项目", "p")
        client.close()
        assert got.indicators[0].value == "85"
    assert calls["n"] == 1
    assert ledger.run.cache_hits == 1 and ledger.run.prompt_tokens == 100


def test_live_embedded_server_answers_and_stops() -> None:
    """Start the embedded server on the default local model, ask once, stop it."""
    from extractor.extract.llm import models
    from extractor.extract.llm.server import EmbeddedServer

    settings = load_settings()
    spec = models.spec_for(models.DEFAULT_MODEL)
    try:
        import llama_cpp  # noqa: F401

        path = models.ensure_verified(settings.cache_dir, spec)
    except (ImportError, models.ModelError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the live test; set-up did not install the model: {exc}")
        pytest.skip(f"no local model here: {exc}")
    server = EmbeddedServer(path, settings.cache_dir / "logs" / "live-test.log", n_ctx=2048)
    with server as url:
        proc = server._proc
        assert proc is not None and proc.poll() is None
        client = LLMClient(Endpoint(url, spec.name, "embedded", "json"), LLMSettings(max_retries=0), Ledger(),
                           cache_dir=None, max_tokens=300)
        got = tasks.indicators(client, prompts.load("indicators"), _text_chunk("三、满意度指标：群众满意度≥85%。"),
                               "live.pdf", "项目", "测试项目")
        client.close()
    assert proc.poll() is not None  # stopped on the way out
    for ind in got.indicators:  # whatever the model said, only printed numbers survive
        assert ind.value in (None, "85")
    assert client.ledger.run.calls >= 1


def test_amx_cpus_are_recognised_for_the_embedded_server() -> None:
    """llama.cpp's AMX weight repacking crashes (general protection fault) on the first
    prompt of more than one token where the container does not grant AMX tile state; the
    server wrapper turns extra buffer types off on such CPUs."""
    from extractor.extract.llm.serve import cpu_has_amx

    assert cpu_has_amx("processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_bf16 amx_tile amx_int8\n")
    assert not cpu_has_amx("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
