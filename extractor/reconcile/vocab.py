"""What printed header parts and row labels mean, as data.

Header keys are printed paths ("基本支出/人员经费", "财政拨款“三公”经费/合计/预算数") and
labels vary by region; the reconciler only asserts an identity when these words make
its meaning clear. A new region's wording is an entry here, not a code path.
"""

from __future__ import annotations

import re

# A header part that makes its column the total of its siblings.
TOTAL_PART = re.compile(r"^(合计|总计|小计|本年收入合计|本年支出合计|收入合计|支出合计|金额合计)$")

# A trailing header part that names a measure (budget vs final figure), not a concept;
# columns are added up only within one measure.
MEASURE_PART = re.compile(
    r"^(预算数|决算数|年初预算数|调整预算数|全年预算数|预算|决算|金额|本年预算|本年预算数|执行数|本年数|"
    r"上年预算数|上年决算数|上年数|本年决算数|上年执行数)$"
)

# Columns that are not amounts to add up: rates, changes, shares.
NON_ADDITIVE = re.compile(r"%|％|增减|增长|比上年|变动|比例|比重|占比|率$")

# "Of which" columns and rows: a subset of what precedes them, never a summand.
SUBSET_PREFIX = re.compile(r"^(其中[:：]?|含[:：]|扣除)")  # 扣除基建项目后预算数: part of 项目支出

# Meanings of header parts (first match wins); used for cross-table agreement, the
# 三公 breakdown and partitions. Order matters: specific before general.
MEANINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("abroad", re.compile(r"因公出国")),
    ("car", re.compile(r"公务用车购置及运行")),
    ("car_buy", re.compile(r"^(其中[:：]?)?(公务用车)?购置(费)?$")),
    ("car_run", re.compile(r"^(其中[:：]?)?(公务用车)?运行(维护)?(费)?$")),
    ("reception", re.compile(r"公务接待")),
    ("basic", re.compile(r"^基本支出$")),
    ("project", re.compile(r"^项目支出$")),
    ("personnel", re.compile(r"^(其中[:：]?)?(人员经费|人员类|人员支出|人员)$")),
    ("public", re.compile(r"^(其中[:：]?)?(公用经费|公用类|公用支出|日常公用经费|公用)$")),
    ("this_year", re.compile(r"^当年财政拨款(安排)?$")),
    ("carried", re.compile(r"^上年结转(安排|资金)?$")),
    ("general", re.compile(r"一般公共预算")),
    ("gov_fund", re.compile(r"政府性基金")),
    ("soe", re.compile(r"国有资本经营")),
)

# Known exhaustive splits of a whole: used when a table prints both breakdowns side by
# side (合计 | 基本支出 | 项目支出 | 当年财政拨款 | 上年结转), and for 其中 columns that
# are known to be exhaustive (公务用车购置及运行费: 其中 购置 / 其中 运行).
PARTITIONS: tuple[frozenset[str], ...] = (
    frozenset({"basic", "project"}),
    frozenset({"personnel", "public"}),
    frozenset({"this_year", "carried"}),
)
EXHAUSTIVE_SUBSETS: dict[str, frozenset[str]] = {"car": frozenset({"car_buy", "car_run"})}

# Budget tables and the fund their figures belong to (cross-table scope).
TABLE_FUND: dict[str, str] = {
    "一般公共预算支出表": "general",
    "政府性基金预算支出表": "gov_fund",
    "国有资本经营预算支出表": "soe",
}

# Row numbering in 收支总表-like tables: level of "一、", "(一)", "1、"/"1.".
NUMBERING: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"^[一二三四五六七八九十百]+[、.．,，]")),
    (2, re.compile(r"^[(（][一二三四五六七八九十百]+[)）][、.．]?")),
    (3, re.compile(r"^\d+[、.．](?!\d)")),
    (4, re.compile(r"^[(（]\d+[)）][、.．]?")),  # 1、财政拨款 > (1)一般公共预算拨款 (西安)
    (5, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
)

# Row labels of the balance tables (after numbering is stripped).
GRAND_LABEL = re.compile(r"^(总计|收入总计|支出总计|收入总计合计|支出总计合计)$")
AMBIGUOUS_TOTAL_LABEL = re.compile(r"^(合计|收入合计|支出合计)$")  # grand unless a 总计 exists
SUB_LABEL = re.compile(
    r"^(本年收入合计|本年支出合计|当年收入小计|当年支出小计|本年收入小计|本年支出小计|本年收入|本年支出)$"
)
CARRY_LABEL = re.compile(
    r"^(上年结转|上年结余|年初结转|年初财政拨款结转|使用非财政拨款结余|用事业基金弥补|上年财政拨款结转|"
    r"结转下年|下年结转|年末结转|年末财政拨款结转|年终结转|结余分配|提取)"
)

# A table's grand-total row (code null).
TABLE_TOTAL_LABEL = re.compile(r"^(合计|总计|支出合计|收入合计|本年支出合计|本年收入合计|收入总计|支出总计)$")


def meaning(part: str) -> str | None:
    for name, pattern in MEANINGS:
        if pattern.search(part):
            return name
    return None


def is_total_part(part: str) -> bool:
    return bool(TOTAL_PART.match(part))


def is_subset_part(part: str) -> bool:
    return bool(SUBSET_PREFIX.match(part))


def numbering(label: str) -> tuple[int | None, str]:
    """(level, label without its numbering): "(一)社会保障和就业支出" → (2, "社会保障和就业支出")."""
    for level, pattern in NUMBERING:
        m = pattern.match(label)
        if m:
            return level, label[m.end():]
    return None, label


def side_of(key: str) -> str | None:
    """Which half of a 收支总表 a value key belongs to, from its first header part."""
    head = key.split("/", 1)[0]
    income, spend = "收入" in head or "收" == head, "支出" in head or "支" == head
    if income and not spend:
        return "income"
    if spend and not income:
        return "spend"
    return None
