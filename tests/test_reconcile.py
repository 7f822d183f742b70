"""The reconciler on small hand-made documents: each identity kind, tolerance, units, fixes, statuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.records import CellSource, ContractFile, Document, Indicator, LineItem, Provenance, Status
from extractor.reconcile import IdentityKind, Misreading, reconcile, report
from extractor.reconcile.columns import column_meanings, row_templates
from extractor.reconcile.misreadings import decimal_points, digit_confusions, fused_splits, scale_slips, transpositions


def li(table: str, code: str | None, name: str, unit: str = "万元", source: dict[str, str] | None = None,
       ocr: bool = False, **values: str | None) -> LineItem:
    vals = {k.replace("__", "/"): v for k, v in values.items()}
    prov = None
    if source is not None:
        cells = {f"values.{k}": CellSource(page=1, text=t) for k, t in source.items()}
        prov = Provenance(method="grid", page=1, cells=cells,
                          **({"source": "ocr"} if ocr else {}))
    return LineItem(table=table, code=code, name=name, values=vals, unit=unit, page=1, provenance=prov)  # type: ignore[arg-type]


def doc(*items: LineItem, indicators: list[Indicator] | None = None) -> ContractFile:
    return ContractFile(
        document=Document(file="t.pdf", sha256="0" * 64, department="测试局", year=2024, doc_type="部门预算"),
        line_items=list(items), indicators=indicators or [],
    )


def kinds(result, holds: bool | None = None) -> list[str]:
    return [i.kind.value for i in result.identities if holds is None or i.holds == holds]


def value(result, index: int, key: str) -> str | None:
    return result.document.line_items[index].values[key]


def spend_table(total: str = "100.00", basic: str = "60.00", project: str = "40.00", **kw) -> list[LineItem]:
    """支出总表: 合计 row, one class with one 款 and two 项."""
    return [
        li("支出总表", None, "合计", 合计=total, 基本支出=basic, 项目支出=project),
        li("支出总表", "204", "公共安全支出", 合计="100.00", 基本支出="60.00", 项目支出="40.00"),
        li("支出总表", "20406", "司法", 合计="100.00", 基本支出="60.00", 项目支出="40.00"),
        li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出="60.00", 项目支出=None, **kw),
        li("支出总表", "2040604", "基层司法业务", 合计="40.00", 基本支出=None, 项目支出="40.00"),
    ]


# --- header vocabulary -------------------------------------------------------------------

def test_row_templates_map_header_keys_to_sums() -> None:
    t = row_templates(("总计", "基本支出/小计", "基本支出/人员经费", "基本支出/公用经费", "项目支出"))
    assert {(x.total, x.parts) for x in t} == {
        ("基本支出/小计", ("基本支出/人员经费", "基本支出/公用经费")),
        ("总计", ("基本支出/小计", "项目支出")),
    }


def test_measures_are_summed_separately_and_other_columns_ignored() -> None:
    keys = ("三公/合计/预算数", "三公/合计/决算数", "三公/出国/预算数", "三公/出国/决算数", "三公/接待/预算数",
            "三公/接待/决算数", "增减%")
    t = {(x.total, x.parts) for x in row_templates(keys)}
    assert t == {("三公/合计/预算数", ("三公/出国/预算数", "三公/接待/预算数")),
                 ("三公/合计/决算数", ("三公/出国/决算数", "三公/接待/决算数"))}


def test_subset_columns_are_not_summands_except_known_exhaustive_ones() -> None:
    keys = ("合计", "本级财政拨款/金额", "本级财政拨款/其中:经费拨款", "事业收入")
    assert [(x.total, x.parts) for x in row_templates(keys)] == [("合计", ("本级财政拨款/金额", "事业收入"))]
    flat = ("三公/小计", "三公/公务接待费", "三公/公务用车购置及运行费",
            "三公/其中:公务用车购置", "三公/其中:公务用车运行费")
    assert {(x.total, x.parts) for x in row_templates(flat)} == {
        ("三公/小计", ("三公/公务接待费", "三公/公务用车购置及运行费")),
        ("三公/公务用车购置及运行费", ("三公/其中:公务用车购置", "三公/其中:公务用车运行费")),
    }


def test_two_breakdowns_side_by_side_get_one_identity_each() -> None:
    t = {(x.total, x.parts) for x in row_templates(("合计", "基本支出", "项目支出", "当年财政拨款", "上年结转"))}
    assert t == {("合计", ("基本支出", "项目支出")), ("合计", ("当年财政拨款", "上年结转"))}


def test_no_total_column_no_row_identity() -> None:
    assert row_templates(("上年预算数", "本年预算数", "增减")) == ()


def test_column_meanings_descend_a_banner_and_find_basic_parts() -> None:
    m = column_meanings(("一般公共预算支出/合计", "一般公共预算支出/基本支出/小计", "一般公共预算支出/基本支出/人员类",
                         "一般公共预算支出/基本支出/公用经费", "一般公共预算支出/项目支出"))
    assert m["total"] == "一般公共预算支出/合计"
    assert m["basic"] == "一般公共预算支出/基本支出/小计"
    assert m["personnel"] == "一般公共预算支出/基本支出/人员类"


# --- identity kinds hold and fail ----------------------------------------------------------

def test_consistent_table_everything_ok() -> None:
    r = reconcile(doc(*spend_table()))
    assert set(kinds(r)) == {"row_sum", "code_hierarchy", "table_total"}
    assert r.totals.violated == 0 and not r.corrections
    assert {x.status for x in r.document.line_items} == {Status.ok}
    assert r.totals.share_tables_all_holding == 1.0


def test_row_sum_fails_without_typical_fix_is_a_conflict() -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出="60.00", 项目支出="12.34")
    r = reconcile(doc(*items))
    assert "row_sum" in kinds(r, holds=False) and not r.corrections
    assert r.document.line_items[3].status is Status.conflict
    assert r.conflicts and r.conflicts[0].status == "conflict"


def test_code_hierarchy_and_table_total_fail() -> None:
    items = spend_table(total="90.00", basic="50.00")  # the 合计 row alone is off (no typical misreading)
    r = reconcile(doc(*items))
    assert "table_total" in kinds(r, holds=False)
    items = spend_table()
    items[2] = li("支出总表", "20406", "司法", 合计="100.00", 基本支出="60.00", 项目支出="40.00")
    items.append(li("支出总表", "2040699", "其他", 合计="1.11", 基本支出="1.11", 项目支出=None))
    r = reconcile(doc(*items))
    assert "code_hierarchy" in kinds(r, holds=False)


def test_partial_listing_is_not_asserted() -> None:
    items = [
        li("支出总表", "204", "公共安全支出", 合计="100.00"),
        li("支出总表", "20406", "司法", 合计="60.00"),
        li("支出总表", "2040899", "孤儿项", 合计="40.00"),  # its 款 20408 is not printed
    ]
    r = reconcile(doc(*items))
    assert "code_hierarchy" not in kinds(r)


def test_balance_identities() -> None:
    k1, k2 = "收入/预算数", "支出/预算数"

    def row(name: str, key: str, v: str | None) -> LineItem:
        return li("收支总表", None, name, **{key.replace("/", "__"): v})

    items = [
        row("一、一般公共预算拨款收入", k1, "90.00"), row("一、基本支出", k2, "60.00"),
        row("二、事业收入", k1, None), row("二、项目支出", k2, "40.00"),
        row("本年收入合计", k1, "90.00"), row("本年支出合计", k2, "100.00"),
        row("上年结转", k1, "15.00"), row("结转下年", k2, "5.00"),
        row("收入总计", k1, "105.00"), row("支出总计", k2, "105.00"),
    ]
    r = reconcile(doc(*items))
    bal = [i for i in r.identities if i.kind is IdentityKind.balance]
    assert len(bal) == 5 and all(i.holds for i in bal)
    items[-1] = row("支出总计", k2, "105.50")
    r = reconcile(doc(*items))
    assert sum(not i.holds for i in r.identities) == 2  # 支出总计 = 本年 + 结转, and 收入总计 = 支出总计


def test_numbered_parent_equals_its_sub_items() -> None:
    k = "收入/预算数"
    items = [li("收支总表", None, n, **{"收入__预算数": v}) for n, v in (
        ("一、财政拨款收入", "10.00"), ("1.一般公共预算", "7.00"), ("2.政府性基金预算", "3.00"),
        ("二、事业收入", None), ("收入总计", "10.00"))]
    r = reconcile(doc(*items))
    assert len(r.identities) == 2 and all(i.holds for i in r.identities)
    assert {f.ref.label for i in r.identities for f in i.figures if f.side == "lhs"} == {
        f"收支总表 一、财政拨款收入 [{k}]", f"收支总表 收入总计 [{k}]"}


def test_cross_table_by_name_and_unit_conversion() -> None:
    items = [
        li("收支总表", None, "一、公共安全支出", 支出__预算数="1000000.00", unit="元"),
        li("收支总表", None, "本年支出合计", 支出__预算数="1000000.00", unit="元"),
        li("支出总表", None, "合计", 合计="100.00"),
        li("支出总表", "204", "公共安全支出", 合计="100.00"),
    ]
    r = reconcile(doc(*items))
    cross = [i for i in r.identities if i.kind is IdentityKind.cross_table]
    assert len(cross) == 2 and all(i.holds and i.exact for i in cross)
    assert cross[0].actual == Decimal("100.00")  # 万元 on both sides


def test_general_budget_table_compared_with_spend_table_only_in_one_scope() -> None:
    general = [li("一般公共预算支出表", None, "合计", 合计="100.00"),
               li("一般公共预算支出表", "204", "公共安全支出", 合计="100.00")]
    same = reconcile(doc(*spend_table(), *general))
    assert any(set(i.tables) == {"支出总表", "一般公共预算支出表"} for i in same.identities)
    smaller = [li("一般公共预算支出表", None, "合计", 合计="80.00"),
               li("一般公共预算支出表", "204", "公共安全支出", 合计="80.00")]
    other = reconcile(doc(*spend_table(), *smaller))  # other funds exist: a subset, not comparable
    assert not any(set(i.tables) == {"支出总表", "一般公共预算支出表"} for i in other.identities)
    assert other.totals.violated == 0


def test_sangong_identities() -> None:
    item = li("三公经费表", None, "", 合计="13.85", 因公出国_境_费=None, 公务用车购置及运行费__小计="13.55",
              公务用车购置及运行费__公务用车购置费=None, 公务用车购置及运行费__公务用车运行费="13.55",
              公务接待费="0.30")
    r = reconcile(doc(item))
    assert len(r.identities) == 2 and all(i.holds for i in r.identities)


def test_sangong_printed_by_rows_and_nested_unit_rows() -> None:
    rows = [("因公出国(境)费", None), ("公务接待费", "1.00"), ("公务用车购置及运行费", "6.00"),
            ("①公务用车购置费", None), ("②公务用车运行维护费", "6.00"), ("合计", "7.00")]
    r = reconcile(doc(*[li("三公经费表", None, n, 预算数__合计=v, 预算数__一般公共预算=v) for n, v in rows]))
    by_rows = [i for i in r.identities if i.kind is IdentityKind.table_total]
    assert len(by_rows) == 4 and all(i.holds for i in r.identities)  # 2 sums × 2 columns
    chain = [li("三公经费表", None, n, 合计="15.00", 公务接待费="3.00", 公务用车购置及运行费="12.00")
             for n in ("合计", "", "江油市司法局")]  # department and unit rows repeat the 合计
    assert all(i.kind is IdentityKind.row_sum for i in reconcile(doc(*chain)).identities)


def test_fund_table_scope_with_carry_over() -> None:
    def fiscal(carry: str | None, year: str) -> list[LineItem]:
        return [li("财政拨款收支总表", None, "一、一般公共预算", 收入__金额=year),
                li("财政拨款收支总表", None, "一、公共安全支出", 支出__合计=year, 支出__一般公共预算=year),
                li("财政拨款收支总表", None, "上年结转", 收入__金额=carry),
                li("财政拨款收支总表", None, "本年支出合计", 支出__合计=year, 支出__一般公共预算=year)]
    general = [li("一般公共预算支出表", None, "合计", 合计="100.00"),
               li("一般公共预算支出表", "204", "公共安全支出", 合计="100.00")]

    def crossed(r) -> int:
        return sum(i.kind is IdentityKind.cross_table for i in r.identities)
    assert crossed(reconcile(doc(*fiscal(None, "100.00"), *general))) == 2
    # with a carry-over, some regions leave carried spending out of 一般公共预算支出表: not comparable
    assert crossed(reconcile(doc(*fiscal("19.61", "119.61"), *general))) == 0
    assert crossed(reconcile(doc(*fiscal("19.61", "100.00"), *general))) == 1  # same totals: classes compared


# --- rounding tolerance ----------------------------------------------------------------------

def test_rounding_gap_within_tolerance_holds_and_is_not_fixed() -> None:
    # 1572.70 + 2259.65 = 3832.35, printed 3832.36: rounding (3 figures × 0.005 = 0.015)
    item = li("一般公共预算支出表", "212", "城乡社区支出", 合计="3832.36", 基本支出="1572.70", 项目支出="2259.65")
    r = reconcile(doc(item))
    (ident,) = r.identities
    assert ident.holds and not ident.exact and ident.tolerance == Decimal("0.015")
    assert not r.corrections and r.document.line_items[0].status is Status.ok


def test_rounding_sized_gap_beyond_the_bound_is_inconsistent_not_fixed() -> None:
    r = reconcile(doc(li("支出总表", "212", "x", 合计="3832.37", 基本支出="1572.70", 项目支出="2259.65")))
    assert not r.identities[0].holds and not r.corrections
    assert r.conflicts[0].status == "inconsistent" and r.document.line_items[0].status is Status.inconsistent


def test_tolerance_follows_printed_precision_and_unit() -> None:
    gap_of_one = reconcile(doc(li("支出总表", "212", "x", unit="元", 合计="1000", 基本支出="600", 项目支出="401")))
    assert gap_of_one.identities[0].tolerance == Decimal("0.00015")  # 3 × 0.5 元, in 万元
    assert gap_of_one.identities[0].holds  # whole yuan printed: 1 元 is rounding
    r = reconcile(doc(li("支出总表", "212", "x", unit="元", 合计="1000", 基本支出="600", 项目支出="404")))
    assert not r.identities[0].holds and r.conflicts[0].status == "conflict"


# --- misreadings ----------------------------------------------------------------------------------

def test_misreading_generators() -> None:
    assert "1157.59" in digit_confusions("1157.54") | digit_confusions("1757.59")
    assert "1157.59" in transpositions("1175.59")
    assert "1157.59" in decimal_points("115759") and "1157.59" in decimal_points("11575.9")
    assert "1157.59" in scale_slips("11575900.00", 2) and "11575900" in scale_slips("1157.59", 0)
    assert fused_splits("3960704", {"704"}) == {"3960"}
    assert "0617" not in transpositions("6017")  # no leading zeros


@pytest.mark.parametrize(
    ("corrupted", "kind"),
    [("69.00", Misreading.digit_confusion), ("66.00", Misreading.digit_confusion),
     ("6000", Misreading.decimal_point), ("6.000", Misreading.decimal_point), ("600000.00", Misreading.scale)],
)
def test_single_cell_fix(corrupted: str, kind: Misreading) -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出=corrupted, 项目支出=None)
    r = reconcile(doc(*items))
    (fix,) = r.corrections
    assert (fix.old, fix.new, fix.kind) == (corrupted, "60.00", kind)
    assert value(r, 3, "基本支出") == "60.00" and r.document.line_items[3].status is Status.corrected
    assert any(f.startswith("corrected:values.基本支出:" + corrupted) for f in r.document.line_items[3].flags or [])
    assert fix.identities and all(i.holds for i in r.identities if i.id in fix.identities)
    assert r.totals.violated == 0


def test_transposition_fix() -> None:
    items = [
        li("支出总表", "2040601", "x", 合计="12.34", 基本支出="21.34", 项目支出=None),
        li("支出总表", "2040602", "y", 合计="5.00", 基本支出="5.00", 项目支出=None),
        li("支出总表", "20406", "z", 合计="17.34", 基本支出="17.34", 项目支出=None),
    ]
    (fix,) = reconcile(doc(*items)).corrections  # the row and the 款 sum both point at 21.34
    assert (fix.old, fix.new, fix.kind) == ("21.34", "12.34", Misreading.transposition)


def test_column_shift_fix() -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出=None, 项目支出="60.00")
    r = reconcile(doc(*items))
    (fix,) = r.corrections
    assert fix.kind is Misreading.column_shift and fix.moved_from is not None
    assert value(r, 3, "基本支出") == "60.00" and value(r, 3, "项目支出") is None


def test_fused_rows_fix() -> None:
    items = [
        li("支出总表", "20406", "司法", unit="元", 合计="4664", 基本支出="4664"),
        li("支出总表", "2040601", "a", unit="元", 合计="3960", 基本支出="3960704"),
        li("支出总表", "2040602", "b", unit="元", 合计="704", 基本支出="704"),
    ]
    (fix,) = reconcile(doc(*items)).corrections
    assert (fix.old, fix.new, fix.kind) == ("3960704", "3960", Misreading.fused_rows)


def test_two_equally_good_fixes_is_a_conflict() -> None:
    # 合计 = 接待 in a one-row table: 5316700.00 could be either cell scaled by 10000
    item = li("三公经费表", None, "", 合计="5316700.00", 因公出国_境_费=None, 公务接待费="531.67")
    r = reconcile(doc(item))
    assert not r.corrections and r.conflicts[0].status == "conflict"
    assert len(r.conflicts[0].candidates) == 2 and "equally good" in r.conflicts[0].reason


# --- provenance: published inconsistencies -----------------------------------------------------

def sourced(items: list[LineItem], ocr: bool = False) -> list[LineItem]:
    """Every cell with its printed text, as the grid reader leaves it (a text layer unless `ocr`)."""
    return [li(x.table, x.code, x.name, x.unit, source={k: v or "" for k, v in x.values.items()}, ocr=ocr,
               **{k.replace("/", "__"): v for k, v in x.values.items()}) for x in items]


def test_printed_value_confirmed_by_source_is_kept_and_inconsistent() -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出="69.00", 项目支出=None)
    r = reconcile(doc(*sourced(items)))  # 69.00 → 60.00 would fix it, but the page prints 69.00
    assert not r.corrections
    assert value(r, 3, "基本支出") == "69.00" and r.document.line_items[3].status is Status.inconsistent
    assert {c.status for c in r.conflicts} == {"inconsistent"}
    mixed = reconcile(doc(*items[:3], *sourced(items[3:4]), items[4]))  # only that row has source text
    assert not mixed.corrections and mixed.conflicts[0].status == "conflict"  # other figures may be misread


def test_ocr_text_does_not_confirm_and_contradicting_text_is_restored() -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出="69.00", 项目支出=None)
    (fix,) = reconcile(doc(*sourced(items, ocr=True))).corrections  # OCR may be the misreading itself
    assert fix.new == "60.00"
    items[3] = li("支出总表", "2040601", "行政运行", source={"基本支出": "60.00"},
                  合计="60.00", 基本支出="61.23", 项目支出=None)
    (fix,) = reconcile(doc(*items)).corrections
    assert (fix.new, fix.kind) == ("60.00", Misreading.source_text)


def test_as_printed_never_fixes() -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出="69.00", 项目支出=None)
    r = reconcile(doc(*items), as_printed=True)
    assert not r.corrections and {c.status for c in r.conflicts} == {"inconsistent"}


# --- indicators ------------------------------------------------------------------------------------

def ind(name: str, weight: str | None, level1: str = "产出指标", level2: str = "数量指标", op: str | None = "≥",
        value_: str | None = "90") -> Indicator:
    return Indicator(scope="项目", project="经费", level1=level1, level2=level2, name=name, operator=op, value=value_,
                     unit="%", weight=weight, direction=None, page=1)


def test_indicator_checks() -> None:
    good = [ind("a", "40"), ind("b", "60", "效益指标", "社会效益指标"), ind("c", "0", op="定性", value_="优良差")]
    r = reconcile(doc(indicators=good))
    assert set(kinds(r)) == {"taxonomy", "target", "weights"} and r.totals.violated == 0
    bad = [ind("a", "40", "产出指标", "满意度指标"), ind("b", "50", op="≥", value_="较好"),
           ind("c", "7", op="定性", value_="95")]
    r = reconcile(doc(indicators=bad))
    assert sorted(kinds(r, holds=False)) == ["target", "target", "taxonomy", "weights"]
    assert all(x.status is Status.conflict for x in r.document.indicators)


def test_a_fix_checked_by_one_identity_only_is_offered_not_applied() -> None:
    r = reconcile(doc(indicators=[ind("a", "30"), ind("b", "30"), ind("c", "46")]))
    assert not r.corrections and r.document.indicators[2].weight == "46"
    (conflict,) = [c for c in r.conflicts if c.candidates]
    assert [(x.ref.field, x.old, x.new) for x in conflict.candidates] == [("weight", "46", "40")]
    assert "only one identity" in conflict.reason


def test_weights_convention_other_than_100() -> None:
    # four projects whose weights sum to 90 (预算执行率 scored elsewhere), one to 95
    inds = [Indicator(scope="项目", project=p, level1="产出指标", level2="数量指标", name=f"{p}{n}", operator=None,
                      value=None, unit=None, weight=w, direction=None, page=1)
            for p, ws in (("甲", ("40", "50")), ("乙", ("45", "45")), ("丙", ("30", "60")), ("丁", ("50", "45")))
            for n, w in enumerate(ws)]
    r = reconcile(doc(indicators=inds))
    bad = [i for i in r.identities if not i.holds]
    assert len(bad) == 1 and "丁" in bad[0].description and "convention" in bad[0].description


# --- output -----------------------------------------------------------------------------------------

def test_input_untouched_and_report_renders() -> None:
    items = spend_table()
    items[3] = li("支出总表", "2040601", "行政运行", 合计="60.00", 基本支出="69.00", 项目支出=None)
    original = doc(*items)
    before = original.model_dump_json()
    r = reconcile(original)
    assert original.model_dump_json() == before
    text = report(r)
    assert "Corrections" in text and "69.00 → 60.00" in text and "digit_confusion" in text
    assert r.model_dump(mode="json")["totals"]["corrected"] == 1
    assert reconcile(original).model_dump() == r.model_dump()  # deterministic
