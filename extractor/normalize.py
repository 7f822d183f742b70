"""Normalisation shared by every stage: names, header texts and printed amounts.

Pure functions only. The contract (records-format.md) defines the text rule: all
whitespace removed and full-width ASCII folded to half-width, nothing else changed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# U+FF01..U+FF5E are the full-width forms of ASCII U+0021..U+007E.
_FULLWIDTH_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WHITESPACE = re.compile(r"\s+")  # \s covers U+3000 (ideographic space) in Python's re


def fold_fullwidth(text: str) -> str:
    """Fold full-width ASCII (０-９, Ａ-Ｚ, （）：，…) to half-width; CJK punctuation stays."""
    return text.translate(_FULLWIDTH_FOLD)


def normalize_name(text: str | None) -> str:
    """The contract's name rule: whitespace removed, full-width ASCII folded."""
    if text is None:
        return ""
    return _WHITESPACE.sub("", fold_fullwidth(text))


def join_header(parts: list[str]) -> str:
    """A column's header path (top to bottom) as the contract's `values` key."""
    seen: list[str] = []
    for part in parts:
        name = normalize_name(part)
        if name and (not seen or seen[-1] != name):
            seen.append(name)
    return "/".join(seen)


_DASHES = {"-", "--", "—", "——", "―", "–", "－"}
_AMOUNT = re.compile(r"^[-+]?\d+(\.\d+)?$")


def normalize_amount(text: str | None) -> str | None:
    """A printed amount as the contract's decimal string, or None for an empty cell.

    `"1,157.59"` → `"1157.59"`; full-width digits fold; `-`/`—` alone mean empty;
    trailing zeros are kept because the printed precision is evidence. Raises
    ValueError when the text is not an amount at all.
    """
    if text is None:
        return None
    s = _WHITESPACE.sub("", fold_fullwidth(text))
    if s == "" or s in _DASHES:
        return None
    s = s.replace(",", "").replace("，", "")
    if s.startswith("(") and s.endswith(")"):  # accounting negative
        s = "-" + s[1:-1]
    if s.startswith("+"):
        s = s[1:]
    if not _AMOUNT.match(s):
        raise ValueError(f"not an amount: {text!r}")
    return s


def is_amount(text: str | None) -> bool:
    try:
        return normalize_amount(text) is not None
    except ValueError:
        return False


def to_decimal(text: str | None) -> Decimal | None:
    """Exact decimal of a contract amount string (None stays None)."""
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {text!r}") from exc


UNIT_TO_WAN = {"万元": Decimal(1), "千元": Decimal("0.1"), "元": Decimal("0.0001")}


def to_wan(amount: str | None, unit: str) -> Decimal | None:
    """Convert an amount in `unit` to 万元, exactly (Decimal arithmetic, no floats)."""
    value = to_decimal(amount)
    if value is None:
        return None
    try:
        return value * UNIT_TO_WAN[unit]
    except KeyError as exc:
        raise ValueError(f"unknown unit: {unit!r}") from exc


def one_char_apart(a: str, b: str) -> bool:
    """Same length, exactly one character different: an OCR slip ("二级招标" / "二级指标")."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


_QUOTES = re.compile(r"[\"“”]")


def paired_quotes(text: str) -> str:
    """Quotes set back in pairs, “ then ”, where the text has an even count of them: OCR
    reads them straight or turned the wrong way (`"12.4”`, `”雪亮工程”`)."""
    marks = _QUOTES.findall(text)
    if not marks or len(marks) % 2:
        return text
    it = iter("“”" * (len(marks) // 2))
    return _QUOTES.sub(lambda _: next(it), text)
