"""The layout mapper's eval: a suite of real header blocks labelled with their kind and one
role per column (checked against the page images), the model's answers scored per column
and per table, with tokens and seconds per table.

    extractor eval layouts [--suite eval/suites/header_blocks.jsonl] [--limit N] [--prompt v1]

Scoring is pure (`score_block`, `summarize`); `run_mapper` is the one function that calls
the model. `target` and `value` count as one role: the grid reader reads both the same way
(an operator or unit printed in the value cell is split off by the target parser).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from extractor.layouts import HeaderBlock

SAME_ROLE = {"target": "value"}


class SuiteBlock(HeaderBlock):
    id: str
    file: str
    pages: list[int]
    kind: str
    roles: list[str]
    note: str | None = None


class BlockResult(BaseModel):
    id: str
    kind: str
    kind_got: str | None = None
    roles: list[str]
    roles_got: list[str] | None = None
    correct: int = 0
    columns: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def exact(self) -> bool:
        return self.error is None and self.kind_got == self.kind and self.correct == self.columns


class Summary(BaseModel):
    tables: int
    columns: int
    column_accuracy: float = Field(description="columns whose role is right / all columns")
    tables_exact: int = Field(description="tables with the kind and every role right")
    kind_accuracy: float
    failed: int = Field(description="tables with no valid answer")
    per_role: dict[str, tuple[int, int]] = Field(description="role → (right, labelled)")
    completion_tokens_per_table: float
    prompt_tokens_per_table: float
    seconds_per_table: float


def load_suite(path: Path) -> list[SuiteBlock]:
    blocks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        if data.get("kind") is None or data.get("roles") is None:
            raise ValueError(f"{path}:{n}: block {data.get('id')!r} is not labelled (kind and roles)")
        blocks.append(SuiteBlock.model_validate(data))
    return blocks


def _canon(role: str) -> str:
    return SAME_ROLE.get(role, role)


def score_block(block: SuiteBlock, kind: str | None, roles: list[str] | None, *, prompt_tokens: int = 0,
                completion_tokens: int = 0, seconds: float = 0.0, error: str | None = None) -> BlockResult:
    correct = 0
    if roles is not None:
        correct = sum(_canon(a) == _canon(b) for a, b in zip(block.roles, roles))
    return BlockResult(id=block.id, kind=block.kind, kind_got=kind, roles=block.roles, roles_got=roles,
                       correct=correct, columns=len(block.roles), prompt_tokens=prompt_tokens,
                       completion_tokens=completion_tokens, seconds=seconds, error=error)


def summarize(results: list[BlockResult]) -> Summary:
    n = len(results) or 1
    per: dict[str, list[int]] = {}
    for r in results:
        got = r.roles_got or []
        for i, role in enumerate(r.roles):
            slot = per.setdefault(_canon(role), [0, 0])
            slot[1] += 1
            slot[0] += i < len(got) and _canon(got[i]) == _canon(role)
    columns = sum(r.columns for r in results)
    return Summary(
        tables=len(results), columns=columns,
        column_accuracy=sum(r.correct for r in results) / (columns or 1),
        tables_exact=sum(r.exact for r in results),
        kind_accuracy=sum(r.kind_got == r.kind for r in results) / n,
        failed=sum(r.error is not None for r in results),
        per_role={k: (v[0], v[1]) for k, v in sorted(per.items())},
        completion_tokens_per_table=sum(r.completion_tokens for r in results) / n,
        prompt_tokens_per_table=sum(r.prompt_tokens for r in results) / n,
        seconds_per_table=sum(r.seconds for r in results) / n,
    )


def run_mapper(model, blocks: list[SuiteBlock], on_block=None) -> list[BlockResult]:  # noqa: ANN001
    """Ask the model for every block's layout (one call each, no re-ask); score each answer."""
    from extractor.extract.llm import tasks
    from extractor.extract.llm.client import LLMError
    from extractor.extract.llm.usage import BudgetExceeded

    results = []
    for block in blocks:
        key = f"suite#{block.id}"
        before = model.client.ledger.chunks.get(key)
        p0, c0 = (before.prompt_tokens, before.completion_tokens) if before else (0, 0)
        start = time.monotonic()
        try:
            answer = tasks.layout(model.client, model.prompts["layout"], block, len(block.columns), "suite", block.id)
            kind, roles, error = answer.kind, answer.roles, None
        except (LLMError, BudgetExceeded) as exc:
            kind, roles, error = None, None, str(exc)[:200]
        used = model.client.ledger.chunks.get(key)
        results.append(score_block(
            block, kind, roles, seconds=time.monotonic() - start, error=error,
            prompt_tokens=(used.prompt_tokens - p0) if used else 0,
            completion_tokens=(used.completion_tokens - c0) if used else 0))
        if on_block is not None:
            on_block(results[-1])
    return results


def confusions(results: list[BlockResult], top: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent (labelled, answered) role pairs that differ."""
    c: Counter[tuple[str, str]] = Counter()
    for r in results:
        for a, b in zip(r.roles, r.roles_got or []):
            if _canon(a) != _canon(b):
                c[(a, b)] += 1
    return [(a, b, n) for (a, b), n in c.most_common(top)]
