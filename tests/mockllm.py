"""A model behind a mock OpenAI-compatible endpoint, for tests: it answers with the given
JSON answers in turn (the last one repeats) and records every request it received."""

from __future__ import annotations

import json

import httpx

from extractor.config import LLMSettings
from extractor.extract.llm import prompts
from extractor.extract.llm.client import Endpoint, LLMClient
from extractor.extract.llm.usage import Ledger
from extractor.extract.strategies import Model
from extractor.layouts import LayoutBook

from extractor.extract.llm.tasks import TASKS


def mock_model(answers: list[dict], layouts: LayoutBook | None = None) -> tuple[Model, list[dict]]:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        answer = answers[min(len(seen), len(answers)) - 1]
        return httpx.Response(200, json={
            "id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 30, "total_tokens": 80}})

    client = LLMClient(Endpoint("http://llm.test/v1", "m", "embedded", "json"), LLMSettings(max_retries=0, max_reasks=0),
                       Ledger(), cache_dir=None, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    return Model(client, {t: prompts.load(t) for t in TASKS}, layouts), seen
