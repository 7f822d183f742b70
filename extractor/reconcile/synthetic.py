"""Consistent synthetic budget documents and typical corruptions (for tests and the restore bench).

`document(rng)` prints a department whose tables all add up: 支出总表 and
一般公共预算支出表 (function codes 类/款/项, 合计 = 基本 + 项目), 一般公共预算基本支出表
(economic codes, 合计 = 人员经费 + 公用经费), 三公经费表, 收支总表 and 财政拨款收支总表
(balance), and a project's indicator weights. Header wording, unit (万元 / 元) and
printed precision vary like real regions. `corrupt(doc, rng, kind)` misreads one cell
the way OCR and table readers do (KINDS), or the way OCR slips on a scan (OCR_KINDS);
`misgroup(doc, rng)` drops a row label's numbering, the way a scan loses "二、". Everything
is driven by the given `random.Random`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from extractor.normalize import normalize_amount
from extractor.reconcile import misreadings as mr
from extractor.reconcile.cells import CellKey, decimals, value_key
from extractor.reconcile.vocab import numbering
from extractor.records import CellSource, ContractFile, Document, Indicator, LineItem, Provenance

CLASSES = [
    ("201", "一般公共服务支出"), ("204", "公共安全支出"), ("205", "教育支出"), ("207", "文化旅游体育与传媒支出"),
    ("208", "社会保障和就业支出"), ("210", "卫生健康支出"), ("212", "城乡社区支出"), ("213", "农林水支出"),
    ("220", "自然资源海洋气象等支出"), ("221", "住房保障支出"),
]
NUMERALS = "一二三四五六七八九十"
KINDS = ("digit_confusion", "transposition", "decimal_point", "column_shift", "scale", "fused_rows")
# OCR slips on a scanned page: the point lost or moved, a digit lost or read twice, a
# thousands separator read as a decimal point (the reader then keeps the printed text).
OCR_KINDS = ("lost_point", "moved_point", "dropped_digit", "doubled_digit", "separator")


@dataclass(frozen=True, slots=True)
class Style:
    unit: str
    places: int
    total: str  # 合计 / 总计
    prefix: str  # "" or a banner over every column ("支出预算/")
    personnel: str  # 人员经费 / 人员类
    basic_group: bool  # 一般公共预算支出表 splits 基本支出 into 小计/人员/公用
    sangong_flat: bool  # 三公 with 其中 columns (长沙) instead of a nested 公务用车 group


def style(rng: random.Random, places: int | None = None) -> Style:
    unit = rng.choice(["万元", "万元", "元"])
    return Style(
        unit=unit,
        places=places if places is not None else (rng.choice([2, 2, 0]) if unit == "元" else 2),
        total=rng.choice(["合计", "总计"]),
        prefix=rng.choice(["", "", "支出预算/"]),
        personnel=rng.choice(["人员经费", "人员类"]),
        basic_group=rng.random() < 0.5,
        sangong_flat=rng.random() < 0.3,
    )


def _amount(rng: random.Random, st: Style, lo: int = 1, hi_digits: int = 7) -> int:
    """An amount in the smallest printed unit (cents for 2 places), log-uniform."""
    digits = rng.randint(2, hi_digits)
    return max(lo, rng.randint(10 ** (digits - 1), 10**digits - 1))


def _fmt(v: int | None, st: Style) -> str | None:
    if v is None:
        return None
    return format(Decimal(v).scaleb(-st.places), "f")


def _split(rng: random.Random, total: int, k: int) -> list[int]:
    """`total` as k positive parts (k shrinks when total is too small)."""
    k = max(1, min(k, total))
    cuts = sorted(rng.sample(range(1, total), k - 1)) if k > 1 else []
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(k)]


def _add(*vals: int | None) -> int | None:
    present = [v for v in vals if v is not None]
    return sum(present) if present else None


def _item(table: str, code: str | None, name: str, values: dict[str, int | None], st: Style) -> LineItem:
    return LineItem(table=table, code=code, name=name, values={k: _fmt(v, st) for k, v in values.items()},  # type: ignore[arg-type]
                    unit=st.unit, page=1)  # type: ignore[arg-type]


Row = tuple[str, str, int | None, int | None, int | None, int | None]


def _function_tree(rng: random.Random, st: Style) -> list[Row]:
    """(code, name, basic_personnel, basic_public, project, basic) per row, parents summed."""
    rows = []
    for code, name in sorted(rng.sample(CLASSES, rng.randint(1, 4))):
        kuan_rows = []
        for k in sorted(rng.sample(range(1, 40), rng.randint(1, 3))):
            kc = f"{code}{k:02d}"
            xiang = []
            for x in sorted(rng.sample(range(1, 99), rng.randint(1, 3))):
                has_b, has_p = rng.random() < 0.7, rng.random() < 0.6
                if not (has_b or has_p):
                    has_b = True
                pe = _amount(rng, st) if has_b else None
                pu = (_amount(rng, st, hi_digits=5) if rng.random() < 0.6 else None) if has_b else None
                pr = _amount(rng, st) if has_p else None
                xiang.append((f"{kc}{x:02d}", f"项目{x:02d}", pe, pu, pr))
            sums = tuple(_add(*(r[i] for r in xiang)) for i in (2, 3, 4))
            kuan_rows.append(((kc, f"款{k:02d}", *sums), xiang))
        csum = tuple(_add(*(kr[0][i] for kr in kuan_rows)) for i in (2, 3, 4))
        rows.append((code, name, *csum))
        for kr, xiang in kuan_rows:
            rows.append(kr)
            rows.extend(xiang)
    return [(c, n, pe, pu, pr, _add(pe, pu)) for c, n, pe, pu, pr in rows]


def _spend_tables(tree, st: Style) -> list[LineItem]:
    p, t = st.prefix, st.total
    top = [r for r in tree if len(r[0]) == 3]
    total = ("", "合计", *(_add(*(r[i] for r in top)) for i in (2, 3, 4, 5)))
    items = []
    for table in ("支出总表", "一般公共预算支出表"):
        for code, name, pe, pu, pr, b in [total, *tree]:
            if table == "一般公共预算支出表" and st.basic_group:
                vals = {f"{p}{t}": _add(b, pr), f"{p}基本支出/小计": b, f"{p}基本支出/{st.personnel}": pe,
                        f"{p}基本支出/公用经费": pu, f"{p}项目支出": pr}
            else:
                vals = {f"{p}{t}": _add(b, pr), f"{p}基本支出": b, f"{p}项目支出": pr}
            items.append(_item(table, code or None, name, vals, st))
    return items


def _basic_table(rng: random.Random, personnel: int | None, public: int | None, st: Style) -> list[LineItem]:
    t, per = st.total, st.personnel
    rows: list[tuple[str, str, int, bool]] = []  # code, name, amount, is_personnel
    if personnel:
        p301, p303 = _split(rng, personnel, 2) if personnel > 1 and rng.random() < 0.6 else (personnel, 0)
        for cls, name, amount in (("301", "工资福利支出", p301), ("303", "对个人和家庭的补助", p303)):
            if amount:
                rows.append((cls, name, amount, True))
                subs = _split(rng, amount, rng.randint(1, 4))
                rows += [(f"{cls}{n:02d}", f"经济{cls}{n:02d}", a, True)
                         for n, a in zip(sorted(rng.sample(range(1, 99), len(subs))), subs)]
    if public:
        rows.append(("302", "商品和服务支出", public, False))
        subs = _split(rng, public, rng.randint(1, 4))
        codes = sorted(rng.sample(range(1, 99), len(subs)))
        rows += [(f"302{n:02d}", f"经济302{n:02d}", a, False) for n, a in zip(codes, subs)]
    rows.sort(key=lambda r: (r[0][:3], len(r[0]) > 3, r[0]))
    total = {t: _add(personnel, public), per: personnel, "公用经费": public}
    items = [_item("一般公共预算基本支出表", None, "合计", total, st)]
    for code, name, amount, is_p in rows:
        items.append(_item("一般公共预算基本支出表", code, name,
                           {t: amount, per: amount if is_p else None, "公用经费": None if is_p else amount}, st))
    return items


def _sangong_values(rng: random.Random, st: Style) -> dict[str, int | None]:
    abroad = _amount(rng, st, hi_digits=5) if rng.random() < 0.4 else None
    buy = _amount(rng, st, hi_digits=6) if rng.random() < 0.4 else None
    run = _amount(rng, st, hi_digits=5) if rng.random() < 0.8 else None
    rec = _amount(rng, st, hi_digits=5) if rng.random() < 0.8 else None
    return {"abroad": abroad, "buy": buy, "run": run, "rec": rec}


def _sangong(rng: random.Random, st: Style, units: int) -> list[LineItem]:
    """One unnamed row (units=0), or a 合计 row over `units` unit rows."""
    rows = [_sangong_values(rng, st) for _ in range(max(1, units))]
    if units:
        rows.insert(0, {k: _add(*(r[k] for r in rows)) for k in rows[0]})
    items = []
    for n, r in enumerate(rows):
        car = _add(r["buy"], r["run"])
        total = _add(r["abroad"], car, r["rec"])
        if st.sangong_flat:
            g = "三公经费预算数/"
            vals = {f"{g}小计": total, f"{g}公务接待费": r["rec"], f"{g}因公出国(境)费": r["abroad"],
                    f"{g}公务用车购置及运行费": car, f"{g}其中:公务用车购置": r["buy"],
                    f"{g}其中:公务用车运行费": r["run"]}
        else:
            vals = {"合计": total, "因公出国(境)费": r["abroad"], "公务用车购置及运行费/小计": car,
                    "公务用车购置及运行费/公务用车购置费": r["buy"], "公务用车购置及运行费/公务用车运行费": r["run"],
                    "公务接待费": r["rec"]}
        name = "" if not units else ("合计" if n == 0 else f"单位{n}")
        items.append(_item("三公经费表", None, name, vals, st))
    return items


def _halves(table: str, left: list[tuple[str, dict[str, int | None]]], right: list[tuple[str, dict[str, int | None]]],
            st: Style) -> list[LineItem]:
    items = []
    for n in range(max(len(left), len(right))):
        for half in (left, right):
            if n < len(half):
                items.append(_item(table, None, half[n][0], half[n][1], st))
    return items


def _summaries(rng: random.Random, tree, st: Style) -> list[LineItem]:
    top = [r for r in tree if len(r[0]) == 3]
    spend = _add(*(_add(r[5], r[4]) for r in top)) or 0
    carry_in = rng.randint(1, max(1, spend // 3)) if rng.random() < 0.5 else None
    carry_out = rng.randint(1, max(1, spend // 4)) if rng.random() < 0.4 else None
    income = spend - (carry_in or 0) + (carry_out or 0)
    grand = income + (carry_in or 0)
    ik, sk = "收入/预算数", "支出/预算数"
    left = [("一、一般公共预算拨款收入", {ik: income}), ("二、政府性基金预算拨款收入", {ik: None}),
            ("三、事业收入", {ik: None}), ("本年收入合计", {ik: income}), ("上年结转", {ik: carry_in}),
            ("收入总计", {ik: grand})]
    right = [(f"{NUMERALS[n]}、{r[1]}", {sk: _add(r[5], r[4])}) for n, r in enumerate(top)]
    right += [("本年支出合计", {sk: spend}), ("结转下年", {sk: carry_out}), ("支出总计", {sk: grand})]
    items = _halves("收支总表", left, right, st)
    fk = ("支出/合计", "支出/一般公共预算", "支出/政府性基金预算")
    left = [("一、本年收入", {"收入/金额": income}), ("1、一般公共预算拨款收入", {"收入/金额": income}),
            ("2、政府性基金预算拨款收入", {"收入/金额": None}), ("二、上年结转", {"收入/金额": carry_in}),
            ("收入总计", {"收入/金额": grand})]
    right = [("一、本年支出", dict(zip(fk, (spend, spend, None))))]
    right += [(f"{n + 1}、{r[1]}", dict(zip(fk, (_add(r[5], r[4]),) * 2 + (None,)))) for n, r in enumerate(top)]
    right += [("二、结转下年", dict(zip(fk, (carry_out, carry_out, None)))),
              ("支出总计", dict(zip(fk, (grand, grand, None))))]
    return items + _halves("财政拨款收支总表", left, right, st)


def _weights(rng: random.Random) -> list[Indicator]:
    n = rng.randint(3, 7)
    weights = _split(rng, 100, n) if rng.random() < 0.5 else [100 // n] * (n - 1) + [100 - (100 // n) * (n - 1)]
    return [
        Indicator(scope="项目", project="业务经费", level1="产出指标", level2="数量指标", name=f"指标{i}",
                  operator="≥", value="90", unit="%", weight=str(w), direction=None, page=9)
        for i, w in enumerate(weights)
    ]


def document(rng: random.Random, places: int | None = None, sangong_units: int | None = None) -> ContractFile:
    """A consistent department. `places`: printed decimals (0 for whole yuan); `sangong_units`:
    unit rows under the 三公 合计 row (0: a single unnamed row, as many regions print it)."""
    st = style(rng, places)
    tree = _function_tree(rng, st)
    top = [r for r in tree if len(r[0]) == 3]
    personnel, public = _add(*(r[2] for r in top)), _add(*(r[3] for r in top))
    items = (_summaries(rng, tree, st) + _spend_tables(tree, st) + _basic_table(rng, personnel, public, st)
             + _sangong(rng, st, rng.choice([0, 1, 2]) if sangong_units is None else sangong_units))
    return ContractFile(
        document=Document(file="synthetic.pdf", sha256="0" * 64, department="合成部门", year=2026, doc_type="部门预算"),
        line_items=items,
        indicators=_weights(rng),
    )


@dataclass(frozen=True, slots=True)
class Corruption:
    kind: str
    changes: tuple[tuple[CellKey, str | None, str | None], ...]  # cell, original, corrupted


def _cells(doc: ContractFile, tables: tuple[str, ...] | None) -> list[tuple[CellKey, str]]:
    return [
        (value_key(i, h), v)
        for i, item in enumerate(doc.line_items)
        if tables is None or item.table in tables
        for h, v in item.values.items()
        if v is not None
    ]


def _variant(rng: random.Random, old: str, kind: str, doc: ContractFile, key: CellKey) -> str | None:
    if kind == "digit_confusion":
        options = sorted(mr.digit_confusions(old))
    elif kind == "transposition":
        options = sorted(mr.transpositions(old))
    elif kind == "decimal_point":
        options = sorted(mr.decimal_points(old))
    elif kind == "lost_point":
        options = [old.replace(".", "")] if "." in old and mr.valid(old.replace(".", "")) else []
    elif kind == "moved_point":
        options = sorted(c for c in mr.decimal_points(old) if "." in c)
    elif kind == "dropped_digit":
        options = sorted({c for i, ch in enumerate(old) if ch.isdigit()
                          if mr.valid(c := old[:i] + old[i + 1 :]) and Decimal(c) != Decimal(old)})
    elif kind == "doubled_digit":
        options = sorted({c for i, ch in enumerate(old) if ch.isdigit()
                          if Decimal(c := old[:i] + ch + old[i:]) != Decimal(old)})
    elif kind == "scale":
        v = Decimal(old)
        options = [c for c in (mr.fmt(v * mr.SCALE, decimals(old)), format((v / mr.SCALE).normalize(), "f"))
                   if mr.valid(c) and Decimal(c) != 0 and c != old]
    elif kind == "fused_rows":
        if "." in old:
            return None
        item = doc.line_items[key.index]
        header = key.field[7:]
        later = [j for j in range(key.index + 1, len(doc.line_items))
                 if doc.line_items[j].table == item.table and header in doc.line_items[j].values]
        nxt = doc.line_items[later[0]].values[header] if later else None
        options = [old + nxt] if nxt is not None and mr.valid(old + nxt) else []
    else:
        return None
    return rng.choice(options) if options else None


def _grouped(old: str) -> str:
    """As printed, with thousands separators: "1097073.43" → "1,097,073.43"."""
    whole, _, frac = old.partition(".")
    sign, whole = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    groups = [whole[max(0, n - 3) : n] for n in range(len(whole), 0, -3)][::-1]
    return sign + ",".join(groups) + ("." + frac if frac else "")


def _separator_slip(rng: random.Random, old: str) -> str | None:
    """The printed "1,097,073.43" as OCR reads it: some (at least one) of its commas as points."""
    printed = _grouped(old)
    commas = [i for i, ch in enumerate(printed) if ch == ","]
    if not commas:
        return None
    chosen = set(rng.sample(commas, rng.randint(1, len(commas))))
    return "".join("." if i in chosen else ch for i, ch in enumerate(printed))


def _read_as(doc: ContractFile, key: CellKey, text: str) -> str | None:
    """What the grid reader keeps of an OCR'd cell's text: the amount, or nothing when the text
    is not one (then the text stays in the provenance, the reader's flag says why)."""
    item = doc.line_items[key.index]
    try:
        value = normalize_amount(text)
    except ValueError:
        value = None
        item.flags = [*(item.flags or []), f"not_an_amount:{key.field[7:]}"]
    prov = item.provenance or Provenance(method="grid", page=item.page, source="ocr")
    prov.cells[key.field] = CellSource(page=item.page, text=text)
    item.provenance = prov
    return value


def corrupt(doc: ContractFile, rng: random.Random, kind: str, tables: tuple[str, ...] | None = None,
            avoid: set[int] | None = None) -> tuple[ContractFile, Corruption] | None:
    """A copy of `doc` with one cell misread in the way `kind` says; None if no cell allows it."""
    out = doc.model_copy(deep=True)
    if kind == "column_shift":
        moves = [
            (value_key(i, a), value_key(i, b))
            for i, item in enumerate(out.line_items)
            if (tables is None or item.table in tables) and i not in (avoid or set())
            for x, y in zip(list(item.values), list(item.values)[1:])
            for a, b in ((x, y), (y, x))
            if item.values[a] is not None and item.values[b] is None
        ]
        if not moves:
            return None
        src, dst = rng.choice(moves)
        v = out.line_items[src.index].values[src.field[7:]]
        out.line_items[src.index].values[src.field[7:]] = None
        out.line_items[dst.index].values[dst.field[7:]] = v
        return out, Corruption(kind, ((src, v, None), (dst, None, v)))
    cells = [(k, v) for k, v in _cells(out, tables) if k.index not in (avoid or set())]
    rng.shuffle(cells)
    if kind == "separator":
        for key, old in cells:
            text = _separator_slip(rng, old)
            if text is not None:
                new = _read_as(out, key, text)
                out.line_items[key.index].values[key.field[7:]] = new
                return out, Corruption(kind, ((key, old, new),))
        return None
    for key, old in cells:
        new = _variant(rng, old, kind, out, key)
        if new is not None and new != old:
            out.line_items[key.index].values[key.field[7:]] = new
            return out, Corruption(kind, ((key, old, new),))
    return None


def misgroup(doc: ContractFile, rng: random.Random) -> ContractFile | None:
    """A copy where one numbered item of a 收支总表's spending half, not its first, lost its
    numbering ("二、教育支出" read "教育支出"): the balance identities then group the rows
    wrongly and fail for no misread figure. None when the document has no such row."""
    out = doc.model_copy(deep=True)
    rows = [i for i, item in enumerate(out.line_items)
            if item.table in ("收支总表", "财政拨款收支总表") and numbering(item.name)[0] is not None
            and any(k.startswith("支出") for k in item.values) and not item.name.startswith(("一、", "1、"))]
    if not rows:
        return None
    i = rng.choice(rows)
    out.line_items[i].name = numbering(out.line_items[i].name)[1]
    return out
