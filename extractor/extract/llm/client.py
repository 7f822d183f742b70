"""The model client: openai + instructor on any OpenAI-compatible endpoint.

One `ask` = one structured answer for one chunk and task: cached on disk, bounded by
the token budget, transport errors retried by tenacity (backoff with jitter, honouring
Retry-After), validation errors re-asked by instructor up to a cap, and every attempt's
tokens counted, failed ones included.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import diskcache
import httpx
import instructor
from instructor.core.exceptions import InstructorError, InstructorRetryException
import openai
from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from extractor.config import LLMSettings
from extractor.errors import ExtractorError
from extractor.extract.llm.prompts import Prompt
from extractor.extract.llm.usage import Ledger, Usage, token_bound

T = TypeVar("T", bound=BaseModel)

# Endpoint kind by host, and the structured-output mode that works best on each.
KINDS: list[tuple[str, str]] = [
    ("api.openai.com", "openai"),
    ("deepseek", "deepseek"),
    ("dashscope", "dashscope"),
    (":11434", "ollama"),
    (":8000", "vllm"),
    (":8080", "llamacpp"),
]
DEFAULT_MODES: dict[str, str] = {
    # llama-cpp-python's server takes response_format json_object (not json_schema);
    # instructor then puts the schema in the prompt and validates/re-asks
    "embedded": "json",
    "llamacpp": "json",
    "vllm": "json_schema",
    "ollama": "json_schema",
    "openai": "tools",
    "deepseek": "tools",
    "dashscope": "json",
    "other": "tools",
}
MODES = {"tools": instructor.Mode.TOOLS, "json_schema": instructor.Mode.JSON_SCHEMA, "json": instructor.Mode.JSON}


class LLMError(ExtractorError):
    """The model gave no valid answer for a chunk (after retries and re-asks)."""


class EndpointDown(LLMError):
    """The endpoint failed every transport try on several chunks in a row: the run asks it
    nothing more, and what it would have read stays pending."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    base_url: str
    model: str
    kind: str
    mode: str
    api_key: str = "not-needed"

    def describe(self) -> dict[str, str]:
        """What goes into output documents: never the key."""
        return {"base_url": self.base_url, "model": self.model, "kind": self.kind, "mode": self.mode}


def endpoint_kind(base_url: str) -> str:
    host = urlparse(base_url).netloc
    for needle, kind in KINDS:
        if needle in host:
            return kind
    return "other"


def resolve_endpoint(settings: LLMSettings, embedded_url: str | None = None, embedded_model: str = "") -> Endpoint:
    """The configured endpoint, or the embedded server's when none is configured."""
    if settings.base_url:
        kind = endpoint_kind(settings.base_url)
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        model = settings.model or "default"
        return Endpoint(settings.base_url, model, kind, settings.mode or DEFAULT_MODES[kind], key)
    if embedded_url is None:
        raise LLMError("no endpoint configured and the embedded server is not running")
    return Endpoint(embedded_url, settings.model or embedded_model, "embedded",
                    settings.mode or DEFAULT_MODES["embedded"])


def _transient(exc: BaseException | None) -> bool:
    """Timeouts, connection errors, 429 and 5xx, also when instructor wrapped them."""
    while exc is not None:
        if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError,
                            openai.InternalServerError)):
            return True
        if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _timed_out(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, openai.APITimeoutError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


PROBE_TIMEOUT_S = 10.0  # a live endpoint answers GET /models in well under this, however busy


def _retry_after(exc: BaseException | None) -> float | None:
    while exc is not None:
        response = getattr(exc, "response", None)
        if response is not None:
            value = response.headers.get("retry-after")
            if value:
                try:
                    return min(float(value), 120.0)
                except ValueError:
                    return None
        exc = exc.__cause__ or exc.__context__
    return None


class _Wait:
    """Retry-After when the server sends one, else exponential backoff with jitter."""

    def __init__(self) -> None:
        self._backoff = wait_exponential_jitter(initial=1, max=30)

    def __call__(self, state: Any) -> float:
        after = _retry_after(state.outcome.exception() if state.outcome else None)
        return after if after is not None else self._backoff(state)


def cache_key(endpoint: Endpoint, prompt: Prompt, response_model: type[BaseModel], text: str) -> str:
    schema = json.dumps(response_model.model_json_schema(), sort_keys=True, ensure_ascii=False)
    raw = "\x1f".join([endpoint.model, endpoint.kind, endpoint.mode, prompt.id, schema, text])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class LLMClient:
    def __init__(self, endpoint: Endpoint, settings: LLMSettings, ledger: Ledger, cache_dir: Path | None,
                 max_tokens: int = 2048, http_client: httpx.Client | None = None) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.ledger = ledger
        self.max_tokens = max_tokens
        self.cache = diskcache.Cache(str(cache_dir / "answers")) if cache_dir else None
        raw = openai.OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, http_client=http_client,
                            timeout=settings.timeout_s or (600.0 if endpoint.kind == "embedded" else 120.0),
                            max_retries=0)  # tenacity retries, not openai
        self._raw = raw
        self._client = instructor.from_openai(raw, mode=MODES[endpoint.mode])
        self.down: str | None = None  # why the endpoint was declared down, once it is
        self._transport_failures = 0  # chunks in a row that failed on transport
        self._hung: str | None = None  # a request timed out and the endpoint answered no probe either

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def ask(self, prompt: Prompt, response_model: type[T], document: str, chunk_id: str, cache_text: str,
            context: dict[str, Any] | None = None, extra: list[dict[str, str]] | None = None,
            **values: Any) -> tuple[T, Usage]:
        """One validated answer; raises LLMError (EndpointDown once the endpoint is declared
        down) or BudgetExceeded (nothing is spent then)."""
        if self.down is not None:
            raise EndpointDown(self.down)
        messages = prompt.messages(**values) + (extra or [])
        key = cache_key(self.endpoint, prompt, response_model, cache_text + json.dumps(extra or [], ensure_ascii=False))
        if self.cache is not None and key in self.cache:
            used = Usage(cache_hits=1)
            self.ledger.settle(0, document, chunk_id, used)
            return response_model.model_validate_json(self.cache[key], context=context), used

        attempts = 1 + self.settings.max_reasks
        bound = token_bound(messages, self.max_tokens, attempts) * (1 + self.settings.max_retries)
        self.ledger.reserve(bound)
        used = Usage()

        def on_response(response: Any) -> None:
            usage = getattr(response, "usage", None)
            used.calls += 1
            if usage is not None:
                used.prompt_tokens += usage.prompt_tokens or 0
                used.completion_tokens += usage.completion_tokens or 0

        parse_errors = [0]  # answers that did not validate; each but a final one was re-asked

        def on_parse_error(*_: Any, **__: Any) -> None:
            parse_errors[0] += 1

        self._client.on("completion:response", on_response)
        self._client.on("parse:error", on_parse_error)
        try:
            for attempt in Retrying(retry=retry_if_exception(self._worth_retrying), wait=_Wait(),
                                    stop=stop_after_attempt(1 + self._retries()), reraise=True):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        used.transport_retries += 1
                    answer = self._client.chat.completions.create(
                        model=self.endpoint.model,
                        messages=messages,  # type: ignore[arg-type]
                        response_model=response_model,
                        max_retries=self.settings.max_reasks,
                        context=context,
                        temperature=self.settings.temperature,
                        max_tokens=self.max_tokens,
                    )
        except Exception as exc:
            if _transient(exc):
                raise self._transport_failed(exc, used) from exc
            if isinstance(exc, InstructorRetryException):
                # every attempt was answered but none validated: the last one was not re-asked
                parse_errors[0] = max(0, parse_errors[0] - 1)
                raise LLMError(f"no valid answer after {exc.n_attempts} answers: {str(exc)[:300]}") from exc
            if isinstance(exc, openai.OpenAIError):
                raise LLMError(f"endpoint error: {exc}") from exc
            if isinstance(exc, InstructorError):  # e.g. the answer ran into max_tokens: this chunk fails
                raise LLMError(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
            raise
        finally:
            self._client.off("completion:response", on_response)
            self._client.off("parse:error", on_parse_error)
            used.reasks += parse_errors[0]
            self.ledger.settle(bound, document, chunk_id, used)
        self._transport_failures = 0
        if self.cache is not None:
            self.cache[key] = answer.model_dump_json()
        return answer, used

    def _worth_retrying(self, exc: BaseException) -> bool:
        """A transport failure is tried again, unless a request timed out and the endpoint
        does not answer a cheap probe either: it is hung, and every try would cost a timeout."""
        if not _transient(exc):
            return False
        if _timed_out(exc) and not self._answers_probe():
            self._hung = (f"a request timed out and GET /models got no answer within {PROBE_TIMEOUT_S:g} s "
                          "(the endpoint is hung)")
            return False
        return True

    def _answers_probe(self) -> bool:
        """Does the endpoint answer anything (any HTTP status) to GET /models, quickly?"""
        try:
            self._raw.with_options(timeout=PROBE_TIMEOUT_S, max_retries=0).models.list()
        except openai.APIStatusError:
            return True  # it answered, even if not with a model list
        except openai.OpenAIError:
            return False
        return True

    def _retries(self) -> int:
        """Transport retries for the next chunk: none while the chunk before failed on
        transport (the endpoint is probed once a chunk until it answers or is declared down)."""
        return 0 if self._transport_failures else self.settings.max_retries

    def _transport_failed(self, exc: BaseException, used: Usage) -> LLMError:
        """A chunk whose every try failed on transport; after `down_after` in a row the
        endpoint is down for the rest of the run."""
        self._transport_failures += 1
        cause = exc
        while cause.__cause__ is not None or cause.__context__ is not None:
            if isinstance(cause, openai.OpenAIError) and not isinstance(cause, InstructorError):
                break
            cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
        what = f"{type(cause).__name__}: {str(cause)[:200]}"
        tries = 1 + used.transport_retries
        if self._hung is not None:
            self.down = f"model endpoint {self.endpoint.base_url} down: {self._hung}"
            return EndpointDown(self.down)
        if self._transport_failures >= self.settings.down_after:
            self.down = (f"model endpoint {self.endpoint.base_url} down: {self._transport_failures} chunks in a row "
                         f"failed on transport ({what})")
            return EndpointDown(self.down)
        return LLMError(f"endpoint unreachable after {tries} tries: {what}")
