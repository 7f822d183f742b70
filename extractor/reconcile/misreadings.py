"""The typical ways a printed amount gets misread, run backwards: old string → what it may have been.

Each function returns candidate originals of a misread decimal string. Only these
are ever proposed as fixes: a value the arithmetic wants but no typical misreading
explains is a conflict for a person, not a correction.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractor.normalize import fold_fullwidth

AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
# OCR / reading confusions, both ways: 3↔8, 1↔7, 0↔6↔9 (every pair), 5↔6.
CONFUSIONS: dict[str, str] = {"8": "3", "3": "8", "1": "7", "7": "1", "0": "69", "6": "095", "9": "06", "5": "6"}
DIGITS = "0123456789"
# A printed amount with its separators as read: digits in groups split by "." or ",".
_GROUPED = re.compile(r"^(-?)(\d+(?:[.,]\d+)+)$")
SCALE = Decimal(10000)  # 元 ↔ 万元


def valid(s: str) -> bool:
    """A printed amount: digits, optional point, no leading zero ("0.5" yes, "05" no)."""
    if not AMOUNT.match(s):
        return False
    whole = s.lstrip("-").split(".", 1)[0]
    return len(whole) == 1 or whole[0] != "0"


def digit_confusions(s: str) -> set[str]:
    out = set()
    for i, ch in enumerate(s):
        for alt in CONFUSIONS.get(ch, ""):
            cand = s[:i] + alt + s[i + 1 :]
            if valid(cand):
                out.add(cand)
    return out


def transpositions(s: str) -> set[str]:
    out = set()
    for i in range(len(s) - 1):
        a, b = s[i], s[i + 1]
        if a.isdigit() and b.isdigit() and a != b:
            cand = s[:i] + b + a + s[i + 2 :]
            if valid(cand):
                out.add(cand)
    return out


def dropped_digits(s: str) -> set[str]:
    """A digit the reading lost ("10973.43" for "109773.43"): one digit put back anywhere,
    in the whole part or the fraction."""
    sign, body = _sign(s)
    out = set()
    for i in range(len(body) + 1):
        for d in DIGITS:
            cand = sign + body[:i] + d + body[i:]
            if cand != s and valid(cand):
                out.add(cand)
    return out


def doubled_digits(s: str) -> set[str]:
    """A digit read twice ("1097733.43" for "109773.43"): one of two equal adjacent digits removed."""
    out = set()
    for i in range(len(s) - 1):
        if s[i].isdigit() and s[i] == s[i + 1]:
            cand = s[:i] + s[i + 1 :]
            if valid(cand):
                out.add(cand)
    return out


def separators(text: str) -> set[str]:
    """Thousands separators read as decimal points: "1.097.073.43" or "1.097,073.43" for
    "1,097,073.43", "1.097" for "1,097". Works on the text as printed (a value string has
    lost the separators); sound readings only: groups after the first have three digits,
    and the last separator is either the decimal point or one more thousands separator."""
    m = _GROUPED.match(re.sub(r"\s+", "", fold_fullwidth(text)).replace("，", ","))
    if m is None:
        return set()
    sign, body = m.groups()
    groups = re.split(r"[.,]", body)
    if not 1 <= len(groups[0]) <= 3:
        return set()
    out = set()
    if all(len(g) == 3 for g in groups[1:]):  # every separator a thousands separator
        out.add(sign + "".join(groups))
    if all(len(g) == 3 for g in groups[1:-1]):  # the last one the decimal point
        out.add(sign + "".join(groups[:-1]) + "." + groups[-1])
    return {c for c in out if valid(c)}


def _sign(s: str) -> tuple[str, str]:
    return ("-", s[1:]) if s.startswith("-") else ("", s)


def decimal_points(s: str) -> set[str]:
    """The point lost ("115759" for "1157.59"), moved ("11575.9"), or read where none was."""
    sign, body = _sign(s)
    digits = body.replace(".", "")
    out = set()
    for p in range(1, len(digits) + 1):
        cand = sign + digits[:p] + ("." + digits[p:] if p < len(digits) else "")
        if cand != s and valid(cand):
            out.add(cand)
    return out


def fmt(value: Decimal, places: int) -> str:
    """A value printed with `places` decimals when that is exact, else with as many as it needs."""
    q = value.quantize(Decimal(1).scaleb(-places)) if places >= 0 else value
    if q == value:
        return format(q, "f")
    return format(value.normalize(), "f")


def scale_slips(s: str, places: int) -> set[str]:
    """×10000 or ÷10000: a figure read in the wrong unit (元 for 万元 or back)."""
    v = Decimal(s)
    if v == 0:
        return set()
    return {c for c in (fmt(v * SCALE, places), fmt(v / SCALE, places)) if valid(c) and c != s}


def fused_splits(s: str, neighbours: set[str]) -> set[str]:
    """Two rows run together: "3960704" where this row is 3960 and the next 704 (or the reverse)."""
    out = set()
    for k in range(1, len(s)):
        a, b = s[:k], s[k:]
        if not (valid(a) and valid(b)):
            continue
        if b in neighbours:
            out.add(a)
        if a in neighbours:
            out.add(b)
    return out
