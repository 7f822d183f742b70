"""Header keys → which columns add up to which: the row-sum templates of a table.

Keys are printed header paths. Within one measure (预算数 / 决算数 …), the paths form
a tree; a node's total child (合计/总计/小计) equals the sum of its other children,
where a child group counts by its own total (or, without one, by its children).
"其中" columns are subsets and never summands. When a node's children hold two
known exhaustive splits (基本+项目 and 当年+上年结转), each split gets its own
identity instead of one sum over all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from extractor.reconcile.vocab import (
    EXHAUSTIVE_SUBSETS,
    MEASURE_PART,
    NON_ADDITIVE,
    PARTITIONS,
    SUBSET_PREFIX,
    is_subset_part,
    is_total_part,
    meaning,
)


@dataclass(frozen=True, slots=True)
class Template:
    total: str
    parts: tuple[str, ...]
    label: str  # "合计 = 基本支出 + 项目支出"


@dataclass(slots=True)
class _Node:
    name: str
    key: str | None = None
    children: dict[str, "_Node"] = field(default_factory=dict)

    @property
    def is_subset(self) -> bool:
        return is_subset_part(self.name)

    @property
    def meaning(self) -> str | None:
        return meaning(self.name)


def _measure_groups(keys: tuple[str, ...]) -> list[list[tuple[str, list[str]]]]:
    """Keys grouped by measure, each as (key, concept path without the measure part)."""
    parsed: list[tuple[str, list[str], str | None]] = []
    for key in keys:
        parts = key.split("/")
        if any(NON_ADDITIVE.search(p) for p in parts):
            continue
        if len(parts) > 1 and MEASURE_PART.match(parts[-1]):
            parsed.append((key, parts[:-1], parts[-1]))
        else:
            parsed.append((key, parts, None))
    measures = {m for _, _, m in parsed if m is not None}
    if len(measures) <= 1:
        return [[(k, c) for k, c, _ in parsed]]
    # Several measures side by side: add up within each; unmeasured keys are ambiguous.
    return [[(k, c) for k, c, m in parsed if m == measure] for measure in sorted(measures)]


def _tree(group: list[tuple[str, list[str]]]) -> _Node | None:
    root = _Node("")
    for key, path in group:
        node = root
        for part in path:
            node = node.children.setdefault(part, _Node(part))
        if node.key is not None or node is root:
            return None  # two keys for one concept: don't guess
        node.key = key
    _promote_partition_subsets(root)
    return root


def _promote_partition_subsets(node: _Node) -> None:
    """`小计 | 其中：基本支出 | 项目支出`: a 其中 that opens a known exhaustive split with its
    plain siblings (基本+项目, 人员+公用, 当年+上年结转) is a part of that split, not a subset."""
    children = list(node.children.values())
    plain = {c.meaning for c in children if not c.is_subset}
    for before, child in zip(children, children[1:]):
        if not child.is_subset or not is_total_part(before.name):  # 其中 right after the total only
            continue
        bare = SUBSET_PREFIX.sub("", child.name)
        m = meaning(bare)
        if m and any(m in p and (p - {m}) <= plain for p in PARTITIONS):
            child.name = bare
    for child in node.children.values():
        _promote_partition_subsets(child)


def _value_keys(node: _Node) -> tuple[str, ...] | None:
    """The keys whose sum is this node's value: its own, its total child's, or its children's."""
    if node.key is not None:
        return (node.key,)
    totals = [c for c in node.children.values() if is_total_part(c.name) and c.key is not None]
    if len(totals) == 1:
        return (totals[0].key,)  # type: ignore[return-value]
    if totals:
        return None
    out: list[str] = []
    for child in node.children.values():
        if child.is_subset:
            continue
        keys = _value_keys(child)
        if keys is None:
            return None
        out.extend(keys)
    return tuple(out) or None


def _templates(node: _Node, out: list[Template]) -> None:
    for child in node.children.values():
        _templates(child, out)
    if not node.children:
        return
    totals = [c for c in node.children.values() if is_total_part(c.name) and c.key is not None]
    total = totals[0].key if len(totals) == 1 else (node.key if not totals else None)
    parts = [c for c in node.children.values() if c.key != total and not c.is_subset and c not in totals]
    if total is not None and parts:
        splits = [p for p in PARTITIONS if p <= {c.meaning for c in parts}]
        chosen = [[c for c in parts if c.meaning in split] for split in splits] if len(splits) >= 2 else [parts]
        for members in chosen:
            keys: list[str] = []
            for c in members:
                value = _value_keys(c)
                if value is None:
                    keys = []
                    break
                keys.extend(value)
            if keys:
                out.append(Template(total, tuple(keys), f"{total} = {' + '.join(keys)}"))
    _exhaustive_subsets(node, out)


def _exhaustive_subsets(node: _Node, out: list[Template]) -> None:
    """Known-exhaustive 其中 columns (公务用车购置及运行费: 其中购置 + 其中运行)."""
    children = list(node.children.values())
    for i, whole in enumerate(children):
        need = EXHAUSTIVE_SUBSETS.get(whole.meaning or "")
        if not need or whole.key is None or whole.children:
            continue
        subs = []
        for c in children[i + 1 :]:
            if not c.is_subset:
                break
            subs.append(c)
        if {c.meaning for c in subs} == need and len(subs) == len(need) and all(c.key for c in subs):
            label = f"{whole.name} = " + " + ".join(c.name for c in subs)
            out.append(Template(whole.key, tuple(c.key for c in subs), label))  # type: ignore[arg-type]


@lru_cache(maxsize=512)
def row_templates(keys: tuple[str, ...]) -> tuple[Template, ...]:
    """Every row-sum identity the header keys make unambiguous (cached: tables repeat their keys)."""
    out: list[Template] = []
    for group in _measure_groups(keys):
        root = _tree(group)
        if root is not None:
            _templates(root, out)
    return tuple(out)


@lru_cache(maxsize=512)
def column_meanings(keys: tuple[str, ...]) -> dict[str, str]:
    """Meaning → key at the top of the header tree: 'total', 'basic', 'project', 'personnel', …

    Only for a single measure. A table with a single amount column: that column is its total.
    """
    groups = _measure_groups(keys)
    if len(groups) != 1:
        return {}
    if len(groups[0]) == 1:
        return {"total": groups[0][0][0]}
    root = _tree(groups[0])
    if root is None:
        return {}
    while len(root.children) == 1 and next(iter(root.children.values())).children:
        root = next(iter(root.children.values()))  # "一般公共预算支出/合计…": descend the banner
    out: dict[str, str] = {}
    totals = [c for c in root.children.values() if is_total_part(c.name) and c.key is not None]
    if len(totals) == 1:
        out["total"] = totals[0].key  # type: ignore[assignment]
    for child in root.children.values():
        if child.is_subset or child in totals:
            continue
        value = _value_keys(child)
        if child.meaning and value and len(value) == 1:
            out.setdefault(child.meaning, value[0])
        for grand in child.children.values():  # 基本支出/人员经费
            if grand.meaning and grand.key and not grand.is_subset:
                out.setdefault(grand.meaning, grand.key)
    return out
