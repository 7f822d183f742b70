"""Token accounting per chunk, document and run, and a budget that is never exceeded.

Before a call the client reserves an upper bound of what it can cost (prompt characters
bound prompt tokens for the tokenizers in use; max_tokens bounds each answer; every
re-ask adds one more attempt); after the call the reservation is replaced by what the
endpoint reported. A call whose bound does not fit in what is left is not made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.errors import ExtractorError


class BudgetExceeded(ExtractorError):
    """The run's token budget cannot cover this call; the chunk is left for later."""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0  # HTTP attempts that returned an answer, failed validations included
    reasks: int = 0  # validation re-asks (instructor) and grounding re-asks
    transport_retries: int = 0
    cache_hits: int = 0
    ungrounded: int = 0  # values the model returned that the page does not print

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Ledger:
    """Usage of a whole run, by document and by chunk, under an optional budget."""

    budget: int | None = None
    run: Usage = field(default_factory=Usage)
    documents: dict[str, Usage] = field(default_factory=dict)
    chunks: dict[str, Usage] = field(default_factory=dict)
    reserved: int = 0

    @property
    def left(self) -> int | None:
        if self.budget is None:
            return None
        return self.budget - self.run.total_tokens - self.reserved

    def reserve(self, tokens: int) -> None:
        left = self.left
        if left is not None and tokens > left:
            raise BudgetExceeded(f"needs up to {tokens:,} tokens, {max(left, 0):,} left of {self.budget:,}")
        self.reserved += tokens

    def count(self, document: str, chunk: str, **fields: int) -> None:
        """Add counters that are not tokens (grounding re-asks, ungrounded values)."""
        self.settle(0, document, chunk, Usage(**fields))

    def settle(self, reserved: int, document: str, chunk: str, used: Usage) -> None:
        self.reserved -= reserved
        self.run.add(used)
        self.documents.setdefault(document, Usage()).add(used)
        self.chunks.setdefault(f"{document}#{chunk}", Usage()).add(used)


def token_bound(messages: list[dict[str, str]], max_tokens: int, attempts: int) -> int:
    """An upper bound on the tokens of up to `attempts` attempts of one call.

    Chinese and ASCII text both take at most one token per character with the BPE
    tokenizers of the supported models; 16 tokens cover each message's framing. Each
    re-ask resends the conversation plus the failed answer and the error.
    """
    prompt = sum(len(m["content"]) + 16 for m in messages)
    total = 0
    for attempt in range(attempts):
        total += prompt + attempt * (max_tokens + 600) + max_tokens
    return total
