"""The model's three tasks on one chunk, each grounded against the chunk's cells.

- indicators: a 绩效目标 table, form or prose chunk → indicators
- line_items: a budget table chunk → line items (the `llm` and `both` strategies)
- segment: prose without numbered headings → one exact printed span per indicator and its
  levels; names, operators, values and units come from the span through the deterministic
  target parser (a span that is not in the chunk is refused)
- layout: a table the rules did not recognise → its kind and one role per column, from
  its header block only; the grid reader then reads every cell (numbers from the page,
  meaning from the model), and an accepted mapping is stored as a layout

An answer with ungrounded values is sent back once with the errors; what is still
ungrounded after that is dropped and flagged by the grounding step. Records whose name is
not printed where the answer says are dropped at once.
"""

from __future__ import annotations

import json

from extractor.chunk import Chunk
from extractor.extract.llm.client import LLMClient, LLMError
from extractor.extract.llm.grounding import Grounded, ground_indicators, ground_rows
from extractor.extract.llm.prompts import Prompt
from extractor.extract.llm.responses import IndicatorsOut, LayoutOut, LineItemsOut, SegmentsOut
from extractor.extract.prose import split_target
from extractor.layout.tables import Table
from extractor.layouts import HeaderBlock, draft_roles
from extractor.normalize import normalize_name
from extractor.records import CellSource, Indicator, Provenance

TASKS = ("indicators", "line_items", "layout", "segment")


def _regrounded(first: Grounded, retry) -> Grounded:  # type: ignore[no-untyped-def]
    """Send the grounding errors back once; keep whichever answer grounds better."""
    if not first.errors:
        return first
    try:
        second = retry(first.errors)
    except LLMError:  # the second ask failed: the first answer's grounded part stands
        return first
    return second if len(second.errors) <= len(first.errors) else first


def _feedback(errors: list[str]) -> list[dict[str, str]]:
    text = "These values are not printed in the chunk. Copy numbers exactly from the chunk; leave a field empty if it is not printed:\n- "
    return [{"role": "user", "content": text + "\n- ".join(errors[:20])}]


def indicators(client: LLMClient, prompt: Prompt, chunk: Chunk, document: str, scope: str,
               project: str | None) -> Grounded:
    def ask(errors: list[str] | None) -> Grounded:
        extra = _feedback(errors) if errors else None
        answer, _ = client.ask(prompt, IndicatorsOut, document, chunk.id, chunk.text, extra=extra, chunk=chunk)
        if errors:
            client.ledger.count(document, chunk.id, reasks=1)
        return ground_indicators(answer.indicators, chunk, scope, project or chunk.context or None)

    result = _regrounded(ask(None), ask)
    client.ledger.count(document, chunk.id, ungrounded=len(result.errors) + len(result.dropped))
    return result


def line_items(client: LLMClient, prompt: Prompt, chunk: Chunk, table: Table, document: str) -> Grounded:
    columns = {c.index: c.key for c in table.header.columns if c.role == "amount" and c.key}
    keys = sorted(set(columns.values()), key=list(columns.values()).index)
    row_ids = {line.split("\t", 1)[0] for line in chunk.text.splitlines() if line.startswith("r")}
    context = {"amount_keys": keys, "row_ids": row_ids}
    kind = table.kind if table.kind and table.kind != "绩效目标表" else "其他"

    def ask(errors: list[str] | None) -> Grounded:
        extra = _feedback(errors) if errors else None
        answer, _ = client.ask(prompt, LineItemsOut, document, chunk.id, chunk.text, context=context, extra=extra,
                               chunk=chunk, amount_keys=keys)
        if errors:
            client.ledger.count(document, chunk.id, reasks=1)
        return ground_rows(answer.rows, chunk, columns, kind, table.unit or "万元")

    result = _regrounded(ask(None), ask)
    client.ledger.count(document, chunk.id, ungrounded=len(result.errors) + len(result.dropped))
    return result


def layout(client: LLMClient, prompt: Prompt, block: HeaderBlock, n_cols: int, document: str, chunk_id: str,
           feedback: list[str] | None = None) -> LayoutOut:
    """The model's kind and column roles for a header block (no numbers: roles only)."""
    extra = None
    if feedback:
        extra = [{"role": "user", "content": "That mapping does not fit the table:\n- " + "\n- ".join(feedback[:8])
                  + "\nGive the corrected JSON."}]
        client.ledger.count(document, chunk_id, reasks=1)
    text = block.render()
    kind, roles = draft_roles(block)
    draft = json.dumps({"kind": kind, "roles": {str(i): r for i, r in enumerate(roles)}}, ensure_ascii=False)
    # the draft is part of the question (v3, v4 answer relative to it): part of the cache key too
    answer, _ = client.ask(prompt, LayoutOut, document, chunk_id, text + "\n" + draft,
                           context={"n_cols": n_cols}, extra=extra,
                           block=text, columns=block.render_columns(), draft=draft, n_cols=n_cols)
    return answer


def segment(client: LLMClient, prompt: Prompt, chunk: Chunk, document: str, scope: str,
            project: str | None) -> list[Indicator]:
    """Indicators of a prose chunk the rules could not split: the model gives the spans, the
    target parser reads each span (numbers from the page, boundaries from the model). A level
    is kept only when the chunk prints it."""
    answer, _ = client.ask(prompt, SegmentsOut, document, chunk.id, chunk.text, context={"text": chunk.text},
                           chunk=chunk)
    flat = normalize_name(chunk.text)
    page = chunk.pages[0]
    box = chunk.cells[0].box if chunk.cells else None
    out = []
    for item in answer.indicators:
        span = normalize_name(item.span).strip("；;。，, ")
        name, op, value, unit = split_target(span)
        # a level only as printed (the model classifies well enough to find spans, not to
        # assign unprinted levels: measured on the recorded default model, 2 of 4 wrong)
        levels = [lv if lv and normalize_name(lv) in flat else None for lv in (item.level1, item.level2)]
        cells = {f: CellSource(page=page, box=box, text=span)
                 for f, v in (("name", name), ("operator", op), ("value", value), ("unit", unit)) if v}
        out.append(Indicator(
            scope=scope, project=project if scope == "项目" else None,  # type: ignore[arg-type]
            level1=levels[0], level2=levels[1], name=name, operator=op, value=value, unit=unit,  # type: ignore[arg-type]
            weight=None, direction=None, page=page,
            provenance=Provenance(chunk_id=chunk.id, method="llm", page=page, box=box, cells=cells),
        ))
    return out
