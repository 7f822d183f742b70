"""Domain vocabulary as data: table titles, header words, indicator taxonomy, units.

A new region's wording is a row here, not a code path.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from extractor.normalize import one_char_apart

# Title patterns → the contract's table kind, tried in order (specific before general).
# Each entry: (all of these substrings, none of these, kind).
TABLE_TITLES: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (("绩效",), (), "绩效目标表"),
    (("三公",), (), "三公经费表"),
    (("机关运行经费",), (), "机关运行经费表"),
    (("政府采购",), (), "政府采购表"),
    (("政府性基金", "支出"), (), "政府性基金预算支出表"),
    (("国有资本经营", "支出"), (), "国有资本经营预算支出表"),
    (("国有资本经营", "收支"), (), "国有资本经营预算支出表"),
    (("财政拨款", "收支"), ("政府性基金", "国有资本"), "财政拨款收支总表"),
    (("财政拨款", "收入支出", "总"), ("政府性基金", "国有资本"), "财政拨款收支总表"),
    (("项目支出",), (), "项目支出表"),
    (("一般公共预算", "基本支出"), (), "一般公共预算基本支出表"),
    (("一般公共预算", "支出"), ("经济分类情况",), "一般公共预算支出表"),
    (("收支",), ("财政拨款", "政府性基金", "国有资本"), "收支总表"),
    (("收入支出", "总"), ("财政拨款",), "收支总表"),
    (("收入",), ("政府性基金", "国有资本", "财政拨款"), "收入总表"),
    (("支出",), ("政府性基金", "国有资本", "财政拨款", "基本支出", "经济分类", "项目"), "支出总表"),
]

# Words that make a line a table title rather than prose ("…表（不含上年结转）" too).
TITLE_HINT = re.compile(r"(表|情况)\s*([（(][^（()）]*[)）])?\s*$|总表|预算表|决算表|情况表|目标表|申报表")

UNIT_LINE = re.compile(r"(?:金额)?单位\s*[:：]\s*(万元|千元|元)")
# A blank field ("部门： 金额单位：万元") and a unit line ("单位：万元") name no department.
DEPARTMENT_LINE = re.compile(
    r"(?:部门|单位|预算单位|部门名称|单位名称|编制单位|填报单位)\s*[:：]\s*"
    r"(?!金额|单位|万元|千元|元\b|元$|[（(]?盖章)(\S+?)(?:\s|单位|金额|$)"
)
# A cover or title naming the department: "2026年烟台市司法局部门预算", "福州市医疗保障局 部门预算",
# "西安市统计局（汇总） 2026年部门预算公开说明" (text of the first page's first lines, joined).
ORG_SUFFIX = r"(?:局|委员会|办公厅|办公室|人民法院|人民检察院|法院|检察院|办事处|人民政府|中心|委|厅|院|部|会|所|站|馆|社|处)"
COVER_DEPARTMENT = re.compile(
    r"(?:20\d\d\s*年度?)?\s*(?P<dept>[\u4e00-\u9fff]{2,30}?" + ORG_SUFFIX + r")\s*(?:[（(](?:汇总|本级)[)）])?\s*"
    r"(?:20\d\d\s*年度?)?\s*(?:部门|单位)?(?:预算|决算)"
)
# A form's field naming the department ("部门名称 | 广州市政务服务和数据管理局").
DEPARTMENT_FIELD = re.compile(r"^(?:部门|单位|部门\(单位\)|部门（单位）|预算单位|主管部门)名称$")
# Labels run together with the name after them ("部门名称广州市…局", "名称宁德市…办公室").
DEPARTMENT_LABEL = re.compile(r"(?:部门名称|单位名称|预算单位|主管部门|名称|[:：])")
# Suffixes that qualify a unit, not name the department: 深圳市民政局（本级）, 西安市统计局（汇总）.
DEPARTMENT_QUALIFIER = re.compile(r"[（(](?:本级|汇总|机关|本部)[)）]$")
# Not a department's name: placeholders and field labels left in a form.
NOT_A_NAME = re.compile(r"^[（(]?盖章[)）]?$|^金额|^XX|^××|^\*+$")
YEAR = re.compile(r"(20\d\d)\s*年")
EMPTY_TABLE = re.compile(r"本表无数据|无数据|无相关收支|本表为空|空表|无此项|如无数字|无该项支出|不涉及")

# Header cells that name the code and unit-code columns.
CODE_HEADERS = {"类", "款", "项", "科目编码", "功能科目编码", "经济科目编码", "科目代码", "编码",
                "功能分类科目编码", "经济分类科目编码", "支出功能分类科目编码", "部门经济科目编码",
                "政府经济科目编码", "功能科目代码", "经济科目代码", "科目编号"}
UNIT_CODE_HEADERS = {"单位代码", "单位编码"}

# Header words a layout draft reads a column by, where the rules know no layout (the model
# corrects the draft). A header naming rows (项目, 科目名称) is a label; one naming a kind,
# a date, a count or a remark is other text; one naming money is an amount even when its
# rows print nothing or whole numbers.
DRAFT_UNIT_CODE_HEADERS = UNIT_CODE_HEADERS | {"部门代码", "部门编码", "单位编号"}
DRAFT_NAME_WORDS = ("名称", "科目", "项目", "单位")
DRAFT_TEXT_WORDS = ("类别", "类型", "编号", "编码", "代码", "内容", "方式", "形式", "时间", "日期", "说明",
                    "备注", "规格", "型号", "数量", "人数", "分数", "得分", "分值", "个数", "面积", "依据", "目标", "简介",
                    "概况", "描述")
DRAFT_ID_WORDS = ("编号", "编码", "代码")  # never the column that names the rows
DRAFT_MONEY_WORDS = ("合计", "小计", "总计", "支出", "收入", "经费", "资金", "拨款", "费", "预算数", "决算数",
                     "金额", "结转", "结余", "补助", "预算")

# A subject code printed inside the name cell: "2010601-行政运行" (北京), "[201]一般公共服务支出",
# "【30101】基本工资", "2010601 行政运行". Groups: code, name.
CODE_IN_LABEL: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*[\[【［]\s*(\d{3,7})\s*[\]】］]\s*(\S.*)$", re.S),
    re.compile(r"^\s*(\d{3,7})\s*[-－—–_]\s*(\S.*)$", re.S),
    re.compile(r"^\s*(\d{3,7})\s+(\S.*)$", re.S),
)
# The amount column of a project list printed as a 绩效目标表 (项目名称 | 金额 | 绩效目标 …).
PROJECT_AMOUNT_HEADER = re.compile(r"金额|预算数|预算金额|资金")

# Which classification column gives the row's `code` when several print one, in order: the
# function classification, else the department economic one (301xx, as 基本支出表 use).
PRIMARY_CODE_HEADERS: tuple[re.Pattern[str], ...] = (re.compile(r"功能"), re.compile(r"部门"))

# Rows whose label says they are totals (body rows even when no amount is printed).
TOTAL_LABEL = re.compile(r"^(合计|总计|本年收入合计|本年支出合计|收入总计|支出总计|收入合计|支出合计)$")
# Column-number rows under a header: "** ** 1 2 3", "栏次".
COLUMN_NUMBER = re.compile(r"^(\*+|\d{1,2}|栏次|[A-Z])$")

INDICATOR_TAXONOMY: dict[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标", "社会公众或服务对象满意度指标"),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}

def bare_level(text: str) -> str:
    """A level without its 指标 suffix: templates print "经济成本" and "经济成本指标" alike."""
    t = re.sub(r"\s+", "", text)
    return t[:-2] if t.endswith("指标") else t


_LEVEL1_BARE = {"产出", "效益", "满意度"}
_LEVEL2_PARENT = {bare_level(k): parent
                  for parent, kids in INDICATOR_TAXONOMY.items() if parent != "成本指标" for k in kids}
_COST_CHILDREN = {bare_level(k) for k in INDICATOR_TAXONOMY["成本指标"]}  # the newer template's 二级
_LEVEL2_SUFFIX = ("效益", "满意度", "影响", "成本")


def indicator_level(text: str) -> int | None:
    """1 or 2 when a cell's text names a 一级/二级指标 of the taxonomy, else None.

    成本指标 is 2 here (产出指标's child in the older template); the newer template's
    一级 成本指标 is known by its column or by a 经济/社会/生态环境成本指标 beside it.
    Variants such as 社会生态效益指标 count as 二级 by their suffix (with 指标 printed).
    """
    bare = bare_level(text)
    if bare in _LEVEL1_BARE:
        return 1
    if bare in _LEVEL2_PARENT or bare in _COST_CHILDREN:
        return 2
    t = re.sub(r"\s+", "", text)
    if t.endswith("指标") and len(bare) <= 6 and bare.endswith(_LEVEL2_SUFFIX) and not bare.startswith(("不", "无")):
        return 2
    return None


_TERMS = sorted({*INDICATOR_TAXONOMY, *(k for kids in INDICATOR_TAXONOMY.values() for k in kids)})


def taxonomy_term(text: str) -> str | None:
    """The taxonomy term `text` is, or is one character off from ("产出推标" → 产出指标, an
    OCR slip) when exactly one is; None otherwise."""
    t = re.sub(r"\s+", "", text)
    if t in _TERMS:
        return t
    near = [k for k in _TERMS if len(t) >= 4 and one_char_apart(k, t)]
    return near[0] if len(near) == 1 else None


def split_levels(text: str) -> tuple[str, str, str] | None:
    """'产出指标数量指标开展统计调查工作' → (产出指标, 数量指标, 开展统计调查工作): a 绩效指标
    cell that prints its 一级 and 二级 run together before the name (北京 部门整体 form).
    Only a 一级 followed by one of its own 二级 counts; None otherwise."""
    t = re.sub(r"\s+", "", text)
    for one in INDICATOR_TAXONOMY:
        if not t.startswith(one):
            continue
        for two in sorted(INDICATOR_TAXONOMY[one], key=len, reverse=True):
            if t.startswith(two, len(one)) and len(t) > len(one) + len(two):
                return one, two, t[len(one) + len(two):]
    return None


def level1_of(level2: str) -> str | None:
    """The 一级指标 a 二级指标 belongs to in the taxonomy (None when it is not a known one)."""
    bare = bare_level(level2)
    if bare in _COST_CHILDREN:
        return "成本指标"
    if bare in _LEVEL2_PARENT:
        return _LEVEL2_PARENT[bare]
    if indicator_level(level2) == 2:  # a variant known by its suffix
        return "满意度指标" if bare.endswith("满意度") else "效益指标" if bare.endswith(("效益", "影响")) else None
    return None


OPERATOR_WORDS: dict[str, str] = {
    "≥": "≥", ">=": "≥", "大于等于": "≥", "不低于": "≥", "不少于": "≥", "≧": "≥", "⩾": "≥",
    "≤": "≤", "<=": "≤", "小于等于": "≤", "不高于": "≤", "不超过": "≤", "不多于": "≤", "≦": "≤", "⩽": "≤",
    "=": "=", "＝": "=", "等于": "=",
    ">": ">", "大于": ">", "高于": ">", "﹥": ">",
    "<": "<", "小于": "<", "低于": "<", "﹤": "<",
    "定性": "定性",
}
# Bounds printed after the number ("95%以上", "5万元以内"): the operator they mean.
TRAILING_BOUNDS: dict[str, str] = {"以上": "≥", "以下": "≤", "以内": "≤"}


def table_kind(title: str) -> str | None:
    """The contract's table kind (or 绩效目标表) named by a title line; None if none fits."""
    t = re.sub(r"\s+", "", title)
    for need, refuse, kind in TABLE_TITLES:
        if all(n in t for n in need) and not any(r in t for r in refuse):
            return kind
    return None


# Indicators printed as coded records in one cell (广州):
#   1、1-产出指标；11-数量指标；会议活动保障次数；实施周期指标值:每年≥20场；年度指标值:每年≥20场。
# The target labels, the one taken first: the year's target before the whole period's.
RECORD_TARGET_LABELS: tuple[str, ...] = ("年度指标值", "指标值", "年度目标值", "实施周期指标值")


# Datasets: a region from the department's name ("上海市普陀区商务委员会" → 上海市普陀区), and
# each amount column's standard role beside its printed header (合计, 基本支出, 人员经费 …).
REGION = re.compile(r"^(?:中共)?(?P<region>[^\s()（）]{2,7}?(?:自治区|省|市))(?P<district>[^\s市省()（）]{1,4}?(?:区|县|旗))?")
STANDARD_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(rx)) for name, rx in (
    ("合计", r"^(合计|总计|小计|金额合计|本年收入合计|本年支出合计|收入合计|支出合计|收入总计|支出总计|总数)$"),
    ("基本支出", r"^基本支出(合计|小计|总数)?$"),
    ("项目支出", r"^项目支出(合计|小计|总数)?$"),
    ("人员经费", r"^(人员经费|人员类|人员支出|人员)(支出)?$"),
    ("公用经费", r"^(公用经费|日常公用经费|公用类|公用支出|公用)(支出)?$"),
    ("因公出国(境)费", r"因公出国"),
    ("公务用车购置及运行费", r"公务用车购置及运行"),
    ("公务用车购置费", r"^(公务用车)?购置(费)?$"),
    ("公务用车运行费", r"^(公务用车)?运行(维护)?(费)?$"),
    ("公务接待费", r"公务接待"),
    ("机关运行经费", r"机关运行经费"),
    ("一般公共预算", r"一般公共预算"),
    ("政府性基金", r"政府性基金"),
    ("国有资本经营预算", r"国有资本经营"),
    ("财政专户管理资金", r"财政专户"),
    ("财政拨款", r"^(财政拨款|当年财政拨款)(收入|资金|安排|合计|小计)?$"),
    ("上年结转", r"^(上年结转|上年结余|上年结转结余|年初结转)"),
    ("使用非财政拨款结余", r"^使用非财政拨款结余"),
    ("事业收入", r"^事业收入$"),
    ("事业单位经营收入", r"^事业单位经营收入$"),
    ("上级补助收入", r"^上级补助收入$"),
    ("附属单位上缴收入", r"^附属单位上缴收入$"),
    ("其他收入", r"^其他收入$"),
    ("上缴上级支出", r"^上缴上级支出$"),
    ("对附属单位补助支出", r"^对附属单位补助支出$"),
    ("事业单位经营支出", r"^事业单位经营支出$"),
))
# Header parts that say only which side or measure a single amount column is (收支总表).
AMOUNT_ONLY = re.compile(r"^(收入|支出|本年收入|本年支出|项目|金额|预算数|决算数|本年预算|本年预算数|预算|决算|数额)$")
CODE_LEVELS = {3: "类", 5: "款", 7: "项"}


# Audit. The nine tables the national template requires; 部门决算 prints the same nine
# under its own names (收入支出决算总表 …), which `table_kind` reads as these kinds.
STANDARD_TABLES: tuple[str, ...] = (
    "收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表", "一般公共预算基本支出表",
    "三公经费表", "政府性基金预算支出表", "国有资本经营预算支出表",
)
REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "部门预算": STANDARD_TABLES, "单位预算": STANDARD_TABLES, "部门决算": STANDARD_TABLES,
}
TEMPLATE_NAMES: dict[str, dict[str, str]] = {  # what the template calls each kind, per doc_type
    "部门决算": {
        "收支总表": "收入支出决算总表", "收入总表": "收入决算表", "支出总表": "支出决算表",
        "财政拨款收支总表": "财政拨款收入支出决算总表", "一般公共预算支出表": "一般公共预算财政拨款支出决算表",
        "一般公共预算基本支出表": "一般公共预算财政拨款基本支出决算表",
        "政府性基金预算支出表": "政府性基金预算财政拨款收入支出决算表",
        "国有资本经营预算支出表": "国有资本经营预算财政拨款支出决算表", "三公经费表": "“三公”经费支出决算表",
    },
}
# What each table makes checkable: the checks a missing table makes impossible.
TABLE_CHECKS: dict[str, tuple[str, ...]] = {
    "收支总表": ("收入总计 = 支出总计", "本年收入合计 + 上年结转 = 收入总计",
                 "each function class against 支出总表 and 一般公共预算支出表", "the narrative's 收支总计 and 本年合计"),
    "收入总表": ("合计 = Σ sources by row", "收入总表 合计 against 收支总表 本年收入"),
    "支出总表": ("合计 = 基本支出 + 项目支出 by row", "类 = Σ款 = Σ项", "the narrative's 基本支出 and 项目支出"),
    "财政拨款收支总表": ("财政拨款 收入 = 支出", "each fund against 一般公共预算支出表 and 政府性基金预算支出表"),
    "一般公共预算支出表": ("合计 = 基本支出 + 项目支出 by row", "一般公共预算 totals against 财政拨款收支总表",
                           "the narrative's 一般公共预算 figures"),
    "一般公共预算基本支出表": ("合计 = 人员经费 + 公用经费", "301 = Σ301xx by economic code",
                               "基本支出 against 一般公共预算支出表"),
    "三公经费表": ("合计 = 因公出国 + 公务用车 + 公务接待", "公务用车 = 购置 + 运行", "the narrative's 三公 figures"),
    "政府性基金预算支出表": ("政府性基金 totals against 财政拨款收支总表", "the narrative's 政府性基金 figures"),
    "国有资本经营预算支出表": ("国有资本经营 totals against 财政拨款收支总表",),
}
TOC_LINE = re.compile(r"^\s*目\s*录\s*$")
TOC_ENTRY = re.compile(r"^[\s\d一二三四五六七八九十、.．（()）表第部分公开]*(?P<title>.+?)[\s.．·…-]*\d*\s*$")

# Narrative claims: an amount stated for a quantity the tables hold. Each entry: (what it
# is about, the words that name it, where the tables print it: (table kind, row label,
# column role or header words)). The amount must follow the words closely (CLAIM_GAP);
# words between that make it a change or a share (CLAIM_NOT) make it no claim.
# A table's total row: 合计/总计, or the department's own row heading the body ("深圳市民政局(本级)");
# only rows without a subject code qualify.
CLAIM_TOTAL_ROW = r"^(合计|总计|本年支出合计|支出合计|)$|" + ORG_SUFFIX + r"(?:[（(](?:本级|汇总)[)）])?$"
_SG = r"^金额$"  # a 三公 table printed with its parts as rows: one amount column per measure
CLAIMS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("财政拨款收支总计", r"财政拨款(?:收入)?、?(?:支出)?(?:预算|决算)?总计|财政拨款收支(?:预算|决算)?总计",
     (("财政拨款收支总表", r"总计|^(收入|支出)合计$", r""),)),
    ("收支总计", r"(?<!拨款)(?:收支(?:预算|决算)?总计|收入、?支出(?:预算|决算)?总计|收、支(?:预算|决算)?总计)",
     (("收支总表", r"^(收入|支出)?总计$|^(收入|支出)合计$", r""),)),
    ("收入总计", r"(?<!拨款)收入(?:预算|决算)?总计", (("收支总表", r"^收入总计$|^总计$|^收入合计$", r""),)),
    ("支出总计", r"(?<!拨款)支出(?:预算|决算)?总计", (("收支总表", r"^支出总计$|^总计$|^支出合计$", r""),)),
    ("本年收入合计", r"本年收入(?:预算|决算)?合计", (("收支总表", r"^(本年|当年)收入(合计|小计)$", r""),)),
    ("本年支出合计", r"本年支出(?:预算|决算)?合计", (("收支总表", r"^(本年|当年)支出(合计|小计)$", r""),)),
    ("基本支出", r"基本支出", (("支出总表", CLAIM_TOTAL_ROW, r"^基本支出$"), ("一般公共预算支出表", CLAIM_TOTAL_ROW, r"^基本支出$"),
                              ("一般公共预算基本支出表", CLAIM_TOTAL_ROW, r"^合计$"))),
    ("项目支出", r"项目支出", (("支出总表", CLAIM_TOTAL_ROW, r"^项目支出$"), ("一般公共预算支出表", CLAIM_TOTAL_ROW, r"^项目支出$"))),
    ("人员经费", r"(?<!在职)(?<!离退休)(?<!退休)人员经费", (("一般公共预算基本支出表", CLAIM_TOTAL_ROW, r"^人员经费$"),)),
    ("公用经费", r"(?<!日常)公用经费", (("一般公共预算基本支出表", CLAIM_TOTAL_ROW, r"^公用经费$"),)),
    ("三公经费", r"[“\"]?三公[”\"]?经费", (("三公经费表", r"", r"^三公合计$"), ("三公经费表", r"^(合计|总计|小计)$|三公", _SG))),
    ("因公出国(境)费", r"因公出国[（(]?境[)）]?(?:经)?费",
     (("三公经费表", r"", r"^因公出国\(境\)费$"), ("三公经费表", r"因公出国", _SG))),
    ("公务接待费", r"公务接待(?:经)?费", (("三公经费表", r"", r"^公务接待费$"), ("三公经费表", r"公务接待", _SG))),
    ("公务用车购置及运行费", r"公务用车购置及运行(?:维护)?(?:经)?费",
     (("三公经费表", r"", r"^公务用车购置及运行费$"), ("三公经费表", r"公务用车购置及运行", _SG))),
    ("公务用车购置费", r"公务用车购置费", (("三公经费表", r"", r"^公务用车购置费$"), ("三公经费表", r"^(其中)?\W*(公务用车)?购置", _SG))),
    ("公务用车运行费", r"公务用车运行(?:维护)?费",
     (("三公经费表", r"", r"^公务用车运行费$"), ("三公经费表", r"^(其中)?\W*(公务用车)?运行", _SG))),
    ("机关运行经费", r"机关运行经费", (("机关运行经费表", CLAIM_TOTAL_ROW, r""), ("", r"", r"机关运行经费"))),
    ("政府性基金", r"政府性基金(?:预算)?(?:财政)?(?:拨款)?支出(?:预算)?",
     (("政府性基金预算支出表", CLAIM_TOTAL_ROW, r"^合计$|^金额$"),)),
    ("一般公共预算", r"一般公共预算(?:财政)?(?:拨款)?(?:收入|支出)?",
     (("收支总表", r"一般公共预算", r""), ("财政拨款收支总表", r"一般公共预算", r""),
      ("收支总表", r"^(收入|支出)?总计$", r""),  # a department funded by 一般公共预算 alone, 上年结转 included
      ("一般公共预算支出表", CLAIM_TOTAL_ROW, r"^合计$|^金额$"), ("收入总表", CLAIM_TOTAL_ROW, r"^一般公共预算$"))),
    ("政府采购", r"政府采购(?:项目)?(?:预算|支出)?(?:总额|总金额|金额|合计)?(?:共有|共计)?",
     (("政府采购表", r"^(合计|总计)", r"金额|合计|总计|小计|预算|资金"),)),
    ("政府采购货物", r"政府采购货物(?:类)?(?:预算|支出)?", (("政府采购表", r"^[一二三、]*货物", r"金额|合计|总计|小计|预算|资金"),)),
    ("政府采购工程", r"政府采购工程(?:类)?(?:预算|支出)?", (("政府采购表", r"^[一二三、]*工程", r"金额|合计|总计|小计|预算|资金"),)),
    ("政府采购服务", r"政府采购服务(?:类)?(?:预算|支出)?", (("政府采购表", r"^[一二三、]*服务", r"金额|合计|总计|小计|预算|资金"),)),
    ("会议费", r"会议费", (("", r"", r"会议费"),)),
    ("培训费", r"培训费", (("", r"", r"培训费"),)),
)
CLAIM_CELLS: dict[str, tuple[tuple[str, str, str], ...]] = {about: cells for about, _, cells in CLAIMS}
# A claim whose clause speaks of something else before its words is about that thing's
# part ("政府采购支出…涉及一般公共预算支出0万元", "面向中小企业预留政府采购…"): not checked.
CLAIM_NOT_AFTER: dict[str, re.Pattern[str]] = {
    "一般公共预算": re.compile(r"采购|三公|机关运行|会议|培训|项目|基本支出|人员|公用|基金|结转|涉及|绩效|用于"),
    "政府采购": re.compile(r"中小企业|预留|面向"),
    "基本支出": re.compile(r"采购"),
    "项目支出": re.compile(r"采购"),
}
CLAIM_GAP = 14  # characters at most between the words and the amount ("预算数为", "财政拨款支出年初预算为")
CLAIM_NOT = re.compile(r"增加|减少|增长|下降|上升|降低|比|较|占|同比|上年|去年|以前|结转|结余")
# …and only words that say which figure it is may stand between ("一般公共预算拨款安排的会议费
# 预算支出10万元" is the 会议费's figure, not the 一般公共预算's).
CLAIM_FILLER = re.compile(r"^(?:20\d\d年度?|本年|当年|财政|拨款|收入|支出|年初|预算|决算|数|总额|总金额|金额|总计|合计|共计|共有|共|"
                          r"为|是|安排|资金|经费|[:：,，]|的|实际|全年)*$")
# A figure's unit in prose; 亿元 converts exactly.
CLAIM_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(亿元|万元|元)")
CLAIM_MEASURE = (("决算", re.compile(r"决算")), ("预算", re.compile(r"预算")))
# Claims whose contradiction is an error (one quantity, one place in the tables); others warn.
STRONG_CLAIMS = frozenset({"财政拨款收支总计", "收支总计", "收入总计", "支出总计", "本年收入合计", "本年支出合计", "三公经费",
                           "因公出国(境)费", "公务接待费", "公务用车购置及运行费"})
# Quantities with one scope wherever the prose names them: stated twice, they must agree.
SELF_CONSISTENT = STRONG_CLAIMS | {"机关运行经费", "人员经费", "公用经费", "会议费", "培训费", "公务用车购置费",
                                   "公务用车运行费"}
# Direction words: the sign each gives a change, and comparisons of 决算 with 预算.
DIRECTION_WORDS: dict[str, int] = {"增加": 1, "增长": 1, "上升": 1, "提高": 1, "减少": -1, "下降": -1, "降低": -1}
CHANGE_PAIR = re.compile(
    r"(?P<w1>增加|减少|上升|下降|增长|降低|提高)\s*(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?:亿元|万元|元)\s*[，,、]?\s*"
    r"(?:[，,、]?(?:增幅|降幅)?为?)?(?P<w2>增长|下降|上升|减少|增加|降低|提高)\s*(?P<pct>\d+(?:\.\d+)?)\s*[%％]")
COMPARE_WORDS: dict[str, int] = {"大于": 1, "高于": 1, "多于": 1, "超过": 1, "小于": -1, "低于": -1, "少于": -1,
                                 "等于": 0, "持平": 0, "一致": 0}
FINAL_VS_BUDGET = re.compile(r"决算数?(?:支出)?(?P<word>大于|高于|多于|超过|小于|低于|少于|等于|持平|一致)(?:年初)?预算数?")
BUDGET_FIGURE = re.compile(r"(?:年初)?预算(?:数)?(?:为|是)?\s*(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)")
FINAL_FIGURE = re.compile(r"决算(?:数)?(?:为|是)?\s*(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)")
# 上年 = year − 1: "比2026年预算增加" in a 2026 budget names the wrong base year.
BASE_YEAR = re.compile(r"(?:比|较|与|同)(20\d\d)年(?:度)?(?:年初)?(?:预算|决算|相比|同期)")
HEADER_YEAR = re.compile(r"(20\d\d)\s*年")
# A heading that names the document's year: "XX局2026年度部门预算公开", "第二部分 2019年度部门预算表",
# "（2026年度）" under a table's title; not a comparison ("比2025年部门预算").
TABLE_TITLE_YEAR = re.compile(r"^[^，。；,]{0,12}?(20\d\d)\s*年度?[^\d，。；,]{2,24}表$")  # "2019年政府采购预算表"
TITLE_YEAR = re.compile(r"(?<![比较与同和])(20\d\d)\s*年度?\s*(?:部门|单位)(?:预算|决算)|^[（(]\s*(20\d\d)\s*年度?\s*[)）]$")
# What printed titles show a standard table's content is there under another name
# (表4 基本支出总表 for 一般公共预算基本支出表, 部门综合预算政府性基金收支表 …).
COVERED_BY_TITLE: dict[str, re.Pattern[str]] = {
    "一般公共预算基本支出表": re.compile(r"^(?!.*(?:财政拨款|政府性基金)).*基本支出"),
    "政府性基金预算支出表": re.compile(r"政府性基金"),
    "国有资本经营预算支出表": re.compile(r"国有资本经营"),
    "三公经费表": re.compile(r"三公"),
    "财政拨款收支总表": re.compile(r"财政拨款.*收.*支|财政拨款.*收入支出"),
}
# Template text left in: placeholders for a name, a year or a figure.
PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])[XＸ×]{2,}(?![A-Za-z])|20[XＸ×]{2}\s*年|[（(]\s*单位名称\s*[)）]")
PLACEHOLDER_FIELD = re.compile(
    r"(?:部门|单位|预算单位|部门名称|单位名称|编制单位|填报单位|部门（单位）|部门\(单位\))\s*[:：]\s*"
    r"(?P<value>\S*[XＸ×]{2,}\S*|[（(]\s*盖章\s*[)）]|[（(]\s*单位名称\s*[)）])")
# Rates the prose states with the figures they follow from: 完成年初预算的P%, 其中 X 占P%,
# 增加 D, 增长P% (checked against the figures printed beside them, to the rate's precision).
_AMT = r"\d[\d,]*(?:\.\d+)?"
COMPLETION_RATE = re.compile(
    rf"年初预算(?:数)?为?(?P<budget>{_AMT})(?P<bu>亿元|万元|元)[，,]?(?:支出)?决算(?:数)?为?(?P<final>{_AMT})"
    rf"(?P<fu>亿元|万元|元)[，,]?完成(?:年初)?预算的(?P<pct>\d+(?:\.\d+)?)[%％]")
SHARE_OF_TOTAL = re.compile(rf"(?P<total>{_AMT})(?P<tu>亿元|万元|元)[，,]?其中[:：]?")
SHARE_PART = re.compile(rf"(?P<amount>{_AMT})(?P<unit>亿元|万元|元)[，,]?占(?:比)?(?:为)?(?P<pct>\d+(?:\.\d+)?)[%％]")
GROWTH_RATE = re.compile(
    rf"(?:比|较|与)[^\d。；;，,]{{0,16}}?(?P<w1>增加|减少)(?P<delta>{_AMT})(?P<du>亿元|万元|元)[，,]?(?P<w2>增长|下降|上升|降低)(?P<pct>\d+(?:\.\d+)?)[%％]")
# A total the prose breaks down ("政府采购预算X万元。其中：货物A、工程B、服务C"): when the
# parts named are one of these complete sets, they add up to the total.
BREAKDOWNS: tuple[tuple[str, ...], ...] = (
    ("货物", "工程", "服务"), ("基本支出", "项目支出"), ("人员经费", "公用经费"),
    ("因公出国", "公务用车", "公务接待"), ("购置", "运行"),
)
BREAKDOWN_TOTAL = re.compile(rf"(?P<total>{_AMT})(?P<tu>亿元|万元|元)(?:[^\d其]{{0,6}}?其中[:：]?|[:：])")
BREAKDOWN_PART = re.compile(rf"(?P<label>[^\d、，,；;:：（()）]{{1,24}}?)(?P<amount>{_AMT})(?P<unit>亿元|万元|元)")


# Scans. The words disclosures print, beside the subject names by code (`data/subjects.json`):
# a doubtful character read on a scanned page is checked against them (`read.lexical`), and
# a subject name misread by one character against its code's name (`extract.ocr_names`).
SUBJECT_NAMES: dict[str, tuple[str, ...]] = {
    code: tuple(names) for code, names in json.loads(
        (resources.files("extractor") / "data" / "subjects.json").read_text("utf-8"))["subjects"].items()
}
OCR_WORDS: tuple[str, ...] = (
    # table heads
    "科目编码", "科目名称", "功能分类", "经济分类", "项目名称", "单位名称", "部门名称", "预算数", "决算数", "金额",
    "本年预算", "本年收入", "本年支出", "财政拨款", "当年财政拨款预算安排", "财政拨款收入", "一般公共预算拨款收入",
    "政府性基金预算拨款收入", "国有资本经营预算拨款收入", "上年结转", "上年结余", "收入总计", "支出总计",
    "收入合计", "支出合计", "本年收入合计", "本年支出合计", "结转下年", "年末结转和结余", "单位：万元", "单位：元",
    "公务用车购置及运行费", "公务用车购置费", "公务用车运行费", "因公出国(境)费", "公务接待费", "小计",
    "工资福利支出", "商品和服务支出", "对个人和家庭的补助", "资本性支出", "社会保障缴费", "住房公积金",
    # 绩效目标表
    "绩效目标", "绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "指标方向", "度量单位", "计量单位", "权重",
    "年度目标", "实施周期", "正向指标", "反向指标", "及时率", "完成率", "满意度", "覆盖率", "知晓率", "合格率",
    "达标率", "执行率", "使用率", "到位率", "准确率", "正确率", "利用率", "参与率", "办结率", "受理率", "运行率",
    "保障率", "完好率", "出勤率", "满意率", "人次", "人数", "次数", "件数", "元/年", "元/人", "元/次", "元/套",
    "元/件", "元/台", "个(台、套、件、辆)",
    # words budget projects are named with
    "党建", "乡镇", "街道", "社区", "村（居）", "办公", "培训", "宣传", "维修", "维护", "运行", "运维", "设备", "购置",
    "工作经费", "专项经费", "业务经费", "补助经费", "信息化", "系统", "平台", "建设", "管理", "服务", "保障", "印刷",
)


def _numeral(n: int) -> str:
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


ENUMERATIONS = tuple(f"{_numeral(n)}、" for n in range(1, 41))  # a list's labels: 一、 … 四十、


def ocr_terms() -> tuple[str, ...]:
    """Every word `read.lexical` checks a scan's doubtful characters against."""
    levels = [t for parent, kids in INDICATOR_TAXONOMY.items() for t in (parent, *kids)]
    return (*OCR_WORDS, *ENUMERATIONS, *levels, *(n for n, _ in STANDARD_COLUMNS), *(t for _, _, t in TABLE_TITLES),
            *STANDARD_TABLES, *(n for names in SUBJECT_NAMES.values() for n in names))
