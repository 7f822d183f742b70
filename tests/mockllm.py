"""A model behind a mock OpenAI-compatible endpoint, for tests: it answers with the given
JSON answers in turn (the last one repeats) and records every request it received."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from extractor.config import LLMSettings
from extractor.extract.llm import prompts
from extractor.extract.llm.client import Endpoint, LLMClient
from extractor.extract.llm.tasks import TASKS
from extractor.extract.llm.usage import Ledger
from extractor.extract.strategies import Model
from extractor.layouts import LayoutBook

NO_RETRIES = LLMSettings(max_retries=0, max_reasks=0)


def mock_endpoint_model(handler: Callable[[httpx.Request], httpx.Response], settings: LLMSettings = NO_RETRIES,
                        layouts: LayoutBook | None = None) -> Model:
    """A model side whose every HTTP request `handler` answers (every task's newest prompt)."""
    client = LLMClient(Endpoint("http://llm.test/v1", "m", "embedded", "json"), settings, Ledger(), cache_dir=None,
                       http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    return Model(client, {t: prompts.load(t) for t in TASKS}, layouts)


def completion(content: str, finish_reason: str = "stop") -> httpx.Response:
    """An OpenAI chat completion answering `content`."""
    return httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 30, "total_tokens": 80}})


def mock_model(answers: list[dict], layouts: LayoutBook | None = None,
               settings: LLMSettings = NO_RETRIES) -> tuple[Model, list[dict]]:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return completion(json.dumps(answers[min(len(seen), len(answers)) - 1], ensure_ascii=False))

    return mock_endpoint_model(handler, settings, layouts), seen
