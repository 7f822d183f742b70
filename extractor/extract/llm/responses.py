"""What the model must answer, per task: typed, validated at once.

Validation errors go back to the model (instructor's re-ask). Checks that need the
chunk (allowed column keys, row ids) read it from the validation context.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from extractor.layouts import BUDGET_ROLES, INDICATOR_ROLES
from extractor.records import TABLE_KINDS
from extractor.vocabulary import INDICATOR_TAXONOMY, OPERATOR_WORDS, table_kind

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_CODE = re.compile(r"^\d{3}(\d{2}){0,2}$")

Level1 = Literal["产出指标", "效益指标", "满意度指标", "成本指标"]
OperatorOut = Literal["≥", "≤", "=", ">", "<", "定性"]


def _amount(v: str | None) -> str | None:
    if v is None:
        return None
    s = str(v).strip().replace(",", "").replace("，", "")
    if s in ("", "-", "—"):
        return None
    if not _DECIMAL.match(s):
        raise ValueError(f"{v!r} is not a number as printed (digits, optional sign and decimal point)")
    return s


class IndicatorOut(BaseModel):
    level1: Level1 | None = None
    level2: str | None = None
    name: str = Field(min_length=1)
    operator: OperatorOut | None = None
    value: str | None = None
    unit: str | None = None
    weight: str | None = None

    # Spellings with one meaning are normalised here rather than sent back: a re-ask costs
    # a small model a minute, and ">=" or "产出" leave no doubt what was meant.
    @field_validator("operator", mode="before")
    @classmethod
    def _operator(cls, v: object) -> object:
        if isinstance(v, str):
            s = v.strip().replace(" ", "")
            return None if s in ("", "null", "无") else OPERATOR_WORDS.get(s, s)
        return v

    @field_validator("level1", "level2", mode="before")
    @classmethod
    def _level(cls, v: object) -> object:
        if isinstance(v, str):
            s = re.sub(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[)）]|\s", "", v)
            if not s:
                return None
            return s if s.endswith("指标") else s + "指标"
        return v

    @field_validator("weight")
    @classmethod
    def _weight(cls, v: str | None) -> str | None:
        return _amount(v)

    @model_validator(mode="after")
    def _coherent(self) -> IndicatorOut:
        if self.level1 and self.level2:
            allowed = INDICATOR_TAXONOMY.get(self.level1, ())
            if self.level2 not in allowed:
                raise ValueError(f"level2 {self.level2!r} is not under {self.level1}; allowed: {', '.join(allowed)}")
        if self.operator in ("≥", "≤", ">", "<") and self.value is not None and not _DECIMAL.match(self.value):
            raise ValueError(f"operator {self.operator} needs a numeric value, got {self.value!r}")
        return self


class IndicatorsOut(BaseModel):
    indicators: list[IndicatorOut]

    @field_validator("indicators", mode="before")
    @classmethod
    def _named(cls, v: object) -> object:
        # An entry with no name carries nothing a record could be keyed by: drop it.
        if isinstance(v, list):
            return [x for x in v if not (isinstance(x, dict) and not str(x.get("name") or "").strip())]
        return v


class RowOut(BaseModel):
    row: str = Field(pattern=r"^r\d+$", description="the row id printed at the start of the row")
    code: str | None = None
    name: str = ""
    values: dict[str, str | None]

    @field_validator("code")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        v = v.strip()
        if not _CODE.match(v):
            raise ValueError(f"code {v!r} must be 3, 5 or 7 digits")
        return v

    @field_validator("values")
    @classmethod
    def _values(cls, v: dict[str, str | None], info: ValidationInfo) -> dict[str, str | None]:
        keys = (info.context or {}).get("amount_keys")
        if keys is not None:
            unknown = [k for k in v if k not in keys]
            if unknown:
                raise ValueError(f"unknown column headers {unknown}; use exactly: {keys}")
        return {k: _amount(x) for k, x in v.items()}


class LineItemsOut(BaseModel):
    rows: list[RowOut]

    @field_validator("rows")
    @classmethod
    def _rows(cls, v: list[RowOut], info: ValidationInfo) -> list[RowOut]:
        ids = (info.context or {}).get("row_ids")
        if ids is not None:
            unknown = [r.row for r in v if r.row not in ids]
            if unknown:
                raise ValueError(f"row ids {unknown} are not in the table")
        return v


ALL_ROLES = tuple(dict.fromkeys((*BUDGET_ROLES, *INDICATOR_ROLES)))


class LayoutOut(BaseModel):
    """A table's kind and one role per column: what the model may say about a table it maps."""

    kind: Literal[(*TABLE_KINDS, "绩效目标表")]  # type: ignore[valid-type]
    roles: list[str] | dict[str, str] = Field(
        description='one role per column: {"0": role, "1": role, …} (or a list in column order)')

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: object) -> object:
        """A kind named in other words ("一般公共预算机关运行经费支出表") is read like a title."""
        if isinstance(v, str) and v not in (*TABLE_KINDS, "绩效目标表"):
            return table_kind(v) or "其他"
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str] | dict[str, str], info: ValidationInfo) -> list[str]:
        n = (info.context or {}).get("n_cols")
        if isinstance(v, dict):
            missing = [str(i) for i in range(n or len(v)) if str(i) not in v]
            if missing:
                raise ValueError(f"no role for columns {', '.join(missing)}: give one role for every column number")
            v = [v[str(i)] for i in range(n or len(v))]
        v = [r.strip().lower() for r in v]
        bad = sorted({r for r in v if r not in ALL_ROLES})
        if bad:
            raise ValueError(f"unknown roles {bad}; use only: {', '.join(ALL_ROLES)}")
        n = (info.context or {}).get("n_cols")
        if n is not None and len(v) != n:
            raise ValueError(f"{len(v)} roles for {n} columns: give exactly one role per column, in order")
        return v


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


class SpanOut(BaseModel):
    """One indicator as the exact printed span that states it, with its levels."""

    span: str = Field(min_length=2, description="copied character for character from the chunk")
    level1: Level1 | None = None
    level2: str | None = None

    @field_validator("span")
    @classmethod
    def _printed(cls, v: str, info: ValidationInfo) -> str:
        text = (info.context or {}).get("text")
        if text is not None and _flat(v) not in _flat(text):
            raise ValueError(f"span {v[:40]!r} is not in the chunk: copy the indicator's text exactly as printed")
        return v


class SegmentsOut(BaseModel):
    """Prose without numbered headings, segmented: one exact span per indicator."""

    indicators: list[SpanOut]
