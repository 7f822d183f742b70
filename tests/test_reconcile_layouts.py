"""Reconciler rules for layouts that gave false "printed so" findings on real documents:
orphan deep codes (北京 06表), 扣除… columns, 1、 above (1), several spending halves sharing
one value key (西安 收支总表), year-end carry rows, references as targets."""

from __future__ import annotations

from extractor.records import CellSource, ContractFile, Document, Indicator, LineItem, Provenance, Status
from extractor.reconcile import IdentityKind, reconcile
from extractor.reconcile.columns import row_templates


def li(table: str, code: str | None, name: str, x: float | None = None, **values: str | None) -> LineItem:
    vals = {k.replace("__", "/"): v for k, v in values.items()}
    prov = None
    if x is not None:
        prov = Provenance(method="grid", page=1, cells={f"values.{k}": CellSource(page=1, box=(x, 0, x + 50, 10))
                                                         for k in vals})
    return LineItem(table=table, code=code, name=name, values=vals, unit="万元", page=1, provenance=prov)  # type: ignore[arg-type]


def doc(*items: LineItem, indicators: list[Indicator] | None = None) -> ContractFile:
    return ContractFile(document=Document(file="t.pdf", sha256="0" * 64), line_items=list(items),
                        indicators=indicators or [])


def test_codes_without_a_printed_parent_are_top_level() -> None:
    # 30101 and 3021101 side by side, no 301 / 302 / 30211 row: the total adds them all
    items = [
        li("一般公共预算基本支出表", "30101", "基本工资", 合计="10.00"),
        li("一般公共预算基本支出表", "3021101", "差旅费", 合计="2.50"),
        li("一般公共预算基本支出表", "30201", "办公费", 合计="1.00"),
        li("一般公共预算基本支出表", None, "合计", 合计="13.50"),
    ]
    r = reconcile(doc(*items))
    totals = [i for i in r.identities if i.kind is IdentityKind.table_total]
    assert len(totals) == 1 and totals[0].holds
    items[3] = li("一般公共预算基本支出表", None, "合计", 合计="11.00")  # the old rule's Σ of 5-digit rows
    assert not [i for i in reconcile(doc(*items)).identities if i.kind is IdentityKind.table_total][0].holds


def test_deduction_column_is_a_subset() -> None:
    keys = ("预算数/合计", "预算数/基本支出", "预算数/项目支出/项目支出总数", "预算数/项目支出/扣除基建项目后预算数")
    labels = [t.label for t in row_templates(keys)]
    assert labels == ["预算数/合计 = 预算数/基本支出 + 预算数/项目支出/项目支出总数"]


def test_arabic_numbering_nests_above_bracketed_numbering() -> None:
    k = "收入__预算数"
    items = [li("收支总表", None, n, **{k: v}) for n, v in (
        ("一、部门预算", "100.00"), ("1、财政拨款", "100.00"), ("(1)一般公共预算拨款", "100.00"),
        ("(2)政府性基金拨款", None), ("2、事业收入", None), ("收入总计", "100.00"))]
    r = reconcile(doc(*items))
    assert r.identities and all(i.holds for i in r.identities)


def test_spending_halves_with_one_key_are_checked_apart() -> None:
    # 西安: 支出/预算数 printed by function (x=300) and by economic class (x=500) on one page
    k = "支出__预算数"
    items = []
    for left, right in ((("一、部门预算", "100.00"), ("一、部门预算", "100.00")),
                        (("1、一般公共服务支出", "70.00"), ("1、人员经费和公用经费支出", "60.00")),
                        (("2、教育支出", "30.00"), ("2、专项业务经费支出", "40.00"))):
        items += [li("收支总表", None, left[0], x=300, **{k: left[1]}), li("收支总表", None, right[0], x=500, **{k: right[1]})]
    r = reconcile(doc(*items))
    numbered = [i for i in r.identities if i.kind is IdentityKind.balance]
    assert len(numbered) == 2 and all(i.holds for i in numbered)


def test_year_end_carry_row_counts_in_the_grand_total() -> None:
    k = "支出__预算数"
    items = [li("收支总表", None, n, **{k: v}) for n, v in (
        ("一、一般公共服务支出", "90.00"), ("本年支出合计", "90.00"), ("年终结转结余", "10.00"), ("支出总计", "100.00"))]
    r = reconcile(doc(*items))
    assert r.identities and all(i.holds for i in r.identities)


def test_a_reference_in_words_is_a_valid_target() -> None:
    ind = Indicator(scope="项目", project="其他运行经费", level1="成本指标", level2="经济成本指标", name="诉讼费用",
                    operator="≤", value="《广东省律师服务收费标准》建议律师费", unit=None, weight=None,
                    direction=None, page=1)
    lost = ind.model_copy(update={"name": "诉讼次数", "value": "次"})  # an operator whose number was lost
    r = reconcile(doc(indicators=[ind, lost]))
    assert [i.status for i in r.document.indicators][0] is not Status.conflict
    assert [i.holds for i in r.identities if i.kind is IdentityKind.target] == [True, False]


def test_identity_naming_a_missing_cell_is_not_asserted(monkeypatch) -> None:
    # a real document crashed the reconciler (KeyError) on an identity over a cell no record held
    import extractor.reconcile.identities as ids
    from extractor.reconcile.cells import read_cells, value_key
    from extractor.reconcile.spec import Spec
    from extractor.reconcile.tables import table_runs

    d = doc(li("支出总表", None, "合计", 合计="1.00"))
    ghost = Spec(kind=IdentityKind.row_sum, tables=("支出总表",), description="ghost",
                 lhs=(value_key(0, "合计"),), rhs=(value_key(0, "序号序号序号"),), family="x")
    monkeypatch.setattr(ids, "row_sums", lambda doc, runs: [ghost])
    built = ids.build(d, table_runs(d), read_cells(d))
    assert all(s.description != "ghost" for s in built.specs)


def test_rows_heading_the_rows_after_them_are_levels_not_parts() -> None:
    # 苏州 政府采购表: 合计 → 货物 → 苏州市审计局 → items; 服务 → 苏州市审计局 → items
    k = "总计"
    rows = [("合计", "188.50"), ("货物", "5.50"), ("苏州市审计局", "5.50"), ("定额/办公费/复印纸", "1.30"),
            ("设备购置/办公设备购置/便携式计算机", "4.20"), ("服务", "183.00"), ("苏州市审计局", "183.00"),
            ("物业管理费/物业管理费", "13.00"), ("区域重点项目协审经费/委托业务费", "170.00")]
    r = reconcile(doc(*[li("政府采购表", None, n, **{k: v}) for n, v in rows]))
    totals = [i for i in r.identities if i.kind is IdentityKind.table_total]
    assert len(totals) == 5 and all(i.holds for i in totals)
    assert all(i.status is Status.ok for i in r.document.line_items)
    rows[4] = ("设备购置/办公设备购置/便携式计算机", "4.30")  # now nothing nests: the flat sum is checked and fails
    r = reconcile(doc(*[li("政府采购表", None, n, **{k: v}) for n, v in rows]))
    assert any(not i.holds for i in r.identities)


def test_weights_of_ninety_are_the_template_not_an_error() -> None:
    # 宁德 部门整体绩效自评表: indicators score 90, 预算执行率 10 is scored above the block
    inds = [Indicator(scope="部门整体", project=None, level1="产出指标", level2="数量指标", name=f"n{i}",
                      operator=None, value="1", unit=None, weight=w, direction=None, page=1)
            for i, w in enumerate(("30", "30", "30"))]
    assert not [i for i in reconcile(doc(indicators=inds)).identities if i.kind is IdentityKind.weights]
    inds[0] = inds[0].model_copy(update={"weight": "35"})  # 95: still checked against 100, and fails
    assert [i.holds for i in reconcile(doc(indicators=inds)).identities if i.kind is IdentityKind.weights] == [False]
