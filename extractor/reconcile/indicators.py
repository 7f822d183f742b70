"""Indicator checks: the fixed taxonomy, target coherence, and weights that sum to 100."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation

from extractor.records import ContractFile, Indicator
from extractor.reconcile.cells import CellKey
from extractor.reconcile.models import IdentityKind
from extractor.reconcile.spec import Check, Spec
from extractor.vocabulary import INDICATOR_TAXONOMY, bare_level

TABLE = "绩效目标表"
NUMERIC_OPERATORS = {"≥", "≤", "=", ">", "<"}


def _is_number(text: str | None) -> bool:
    if text is None:
        return False
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _is_reference(text: str | None) -> bool:
    """A comparison target named in words, with no figure to misread: `《…标准》建议律师费`."""
    return text is not None and len(text) >= 4 and not any(ch.isdigit() for ch in text)


def _fits(level1: str, level2: str | None) -> bool:
    return level2 is None or bare_level(level2) in {bare_level(x) for x in INDICATOR_TAXONOMY[level1]}


def _who(ind: Indicator) -> str:
    return f"{ind.project or ind.scope} · {ind.name}"


def indicator_checks(doc: ContractFile) -> list[Check]:
    checks: list[Check] = []
    for i, ind in enumerate(doc.indicators):
        if ind.level1 is not None:
            known = ind.level1 in INDICATOR_TAXONOMY
            fits = known and _fits(ind.level1, ind.level2)
            detail = "" if fits else (f"一级指标 {ind.level1!r} not in the taxonomy" if not known
                                      else f"二级指标 {ind.level2!r} not under {ind.level1}")
            checks.append(Check(IdentityKind.taxonomy, (TABLE,), f"{_who(ind)}: {ind.level1} → {ind.level2}",
                                (CellKey("I", i, "level1"), CellKey("I", i, "level2")), fits, detail,
                                "indicators|taxonomy"))
        if ind.operator is not None:
            if ind.operator in NUMERIC_OPERATORS:
                # a number, or a reference printed in words (≤《收费标准》建议律师费)
                ok, need = _is_number(ind.value) or _is_reference(ind.value), "a number or a reference"
            else:  # 定性: a word, not a number
                ok, need = ind.value is not None and not _is_number(ind.value), "a word"
            target = f"{_who(ind)}: {ind.operator} {ind.value} {ind.unit or ''}".rstrip()
            checks.append(Check(IdentityKind.target, (TABLE,), target,
                                (CellKey("I", i, "operator"), CellKey("I", i, "value")), ok,
                                "" if ok else f"operator {ind.operator} needs {need}, value is {ind.value!r}",
                                "indicators|target"))
    return checks


def weight_sums(doc: ContractFile) -> list[Spec]:
    """Σ weights = 100 per project (and for the 部门整体 table), when every weight is printed.

    Some templates score 预算执行率 outside the indicator table, so every table sums to 90:
    when at least three tables and two thirds of them share one other sum, that sum is the
    document's convention and the target.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, ind in enumerate(doc.indicators):
        groups.setdefault((ind.scope, ind.project or ""), []).append(i)
    full = {g: idx for g, idx in groups.items()
            if len(idx) >= 2 and all(doc.indicators[i].weight is not None for i in idx)}
    sums = Counter(sum(Decimal(doc.indicators[i].weight or 0) for i in idx) for idx in full.values())
    target, why = Decimal(100), "100"
    if sums and len(full) >= 3:
        common, n = sums.most_common(1)[0]
        if common != 100 and 3 * n >= 2 * len(full):
            target, why = common, f"{common}, this document's convention ({n} of {len(full)} tables)"
    # A table summing to exactly 90 against 100 is that template (执行率 scored outside it,
    # 宁德's 自评表); with no convention to tell, it is not asserted either way.
    return [
        Spec(IdentityKind.weights, (TABLE,), f"{project or scope}: Σ {len(idx)} weights = {why}",
             (), tuple(CellKey("I", i, "weight") for i in idx), "indicators|weights", const=target)
        for (scope, project), idx in full.items()
        if not (target == 100 and sum(Decimal(doc.indicators[i].weight or 0) for i in idx) == 90)
    ]
