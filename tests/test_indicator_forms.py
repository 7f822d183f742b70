"""The indicator reader on 申报表 forms and broken tables, built in code (no corpus needed).

Each case is a layout seen in the samples or the corpus: a form without a 一级/二级/三级
header, a form with two indicator groups side by side, a row printed one column left of
its header, a name printed under a level column, a one-row remainder on the next page,
and project rows whose merged name cell was drawn as separate rows.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from pdfmaker import draw_table, new_pdf, save, write_text

from extractor.extract.gridread import read_grid
from extractor.extract.indicators import _Place, settle_boundaries
from extractor.pipeline import analyse
from extractor.records import Indicator


def _form_page(doc: pymupdf.Document, title: str = "项目支出绩效目标申报表") -> pymupdf.Page:
    page = doc.new_page(width=595, height=842)
    write_text(page, 200, 50, title, size=14)
    return page


def _read(doc: pymupdf.Document, tmp_path: Path) -> list[Indicator]:
    return read_grid(analyse(save(doc, tmp_path / "f.pdf"))).indicators


def _row(i: Indicator) -> tuple:
    return (i.project, i.level1, i.level2, i.name, i.operator, i.value, i.unit)


def test_form_without_header_fields_are_not_indicators(tmp_path: Path) -> None:
    doc = new_pdf()
    page = _form_page(doc)
    rows = [
        ["项目名称", ("法律援助业务经费", 1, 4), None, None, None],
        ["项目资金(元)", "实施期资金总额:", "200000", "年度资金总额:", "0"],
        ["立项依据", ("《法律援助条例》", 1, 4), None, None, None],
        [("绩效指标", 4, 1), "产出指标", "数量指标", "法律援助案件完成数(件)", "≥200件"],
        [None, "", "质量指标", "案件受理准确率(%)", "100%"],
        [None, "效益指标", "社会效益指标", "解决群众在法律方面的困难", "解决"],
        [None, "满意度指标", "服务对象满意度指标", "援助人员满意度(%)", "≥95%"],
        ["负责人:", "经办人:", "联系电话:", "填报日期:", "20240124"],
    ]
    draw_table(page, rows, [80, 90, 100, 160, 90], top=90)
    inds = _read(doc, tmp_path)
    got = [_row(i) for i in inds]
    # a filled-down level keeps the cell it was printed in (the reconciler checks it there)
    filled = inds[1].provenance.cells["level1"]
    assert filled.text == "产出指标" and filled.box == inds[0].provenance.cells["level1"].box
    assert got == [
        ("法律援助业务经费", "产出指标", "数量指标", "法律援助案件完成数(件)", "≥", "200", "件"),
        ("法律援助业务经费", "产出指标", "质量指标", "案件受理准确率(%)", None, "100", "%"),
        ("法律援助业务经费", "效益指标", "社会效益指标", "解决群众在法律方面的困难", None, "解决", None),
        ("法律援助业务经费", "满意度指标", "服务对象满意度指标", "援助人员满意度(%)", "≥", "95", "%"),
    ]


def test_unprinted_level1_from_taxonomy_and_levels_found_by_their_words(tmp_path: Path) -> None:
    """一级 column holding the form label; a 二级 printed in the 一级 column; a name under 一级."""
    doc = new_pdf()
    page = _form_page(doc, "部门整体支出绩效目标表")
    rows = [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["绩效指标", "数量指标", "受理行政复议案件", "≥15件"],
        ["", "", "文件应审尽审率", "100%"],
        ["社会效益指标", "", "推动法治政府建设", "推动"],
        ["满意度指标", "服务对象满意度指标", "法律援助律师满意度(%)", "≥95%"],
        ["调解群众满意度", "", "", "≥90%"],
    ]
    draw_table(page, rows, [100, 120, 180, 90], top=90)
    inds = _read(doc, tmp_path)
    got = [(i.level1, i.level2, i.name, i.value, i.flags) for i in inds]
    assert got == [
        ("产出指标", "数量指标", "受理行政复议案件", "15", ["level1_from_taxonomy"]),
        ("产出指标", "数量指标", "文件应审尽审率", "100", ["level1_from_taxonomy"]),
        ("效益指标", "社会效益指标", "推动法治政府建设", "推动", ["level1_from_taxonomy"]),
        ("满意度指标", "服务对象满意度指标", "法律援助律师满意度(%)", "95", None),
        ("满意度指标", "服务对象满意度指标", "调解群众满意度", "90", None),
    ]


def test_name_and_target_shifted_left_of_their_header(tmp_path: Path) -> None:
    """'降低刑满释放人员社会危害性 | (blank) | 降低' under 一级 | 二级 | 三级 | 指标值."""
    doc = new_pdf()
    page = _form_page(doc, "部门整体支出绩效目标表")
    rows = [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["效益指标", "社会效益指标", "提高县区村民法律意识", "提高"],
        ["降低刑满释放人员社会危害性", "", "降低", ""],
        ["", "法院调解案件出具文书", "300元/件", ""],
    ]
    draw_table(page, rows, [150, 120, 150, 80], top=90)
    got = [(i.level1, i.level2, i.name, i.value, i.unit) for i in _read(doc, tmp_path)]
    assert got == [
        ("效益指标", "社会效益指标", "提高县区村民法律意识", "提高", None),
        ("效益指标", "社会效益指标", "降低刑满释放人员社会危害性", "降低", None),
        ("效益指标", "社会效益指标", "法院调解案件出具文书", "300", "元/件"),
    ]


def test_second_indicator_group_read_only_where_it_prints_a_target(tmp_path: Path) -> None:
    doc = new_pdf()
    page = _form_page(doc)
    rows = [
        ["项目名称", ("法治文化主题公园", 1, 6), None, None, None, None, None],
        ["一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "建设公园数量", "1个", "数量指标", "建设公园数量", "1个"],
        ["", "质量指标", "验收合格率", "≥95%", "质量指标", "完工率", ""],
        ["效益指标", "经济效益指标", "项目开展时间", "20天", "经济效益指标", "项目开展时间", "20天"],
    ]
    draw_table(page, rows, [60, 75, 90, 50, 75, 90, 50], top=90)
    got = [(i.level1, i.level2, i.name, i.value, i.unit) for i in _read(doc, tmp_path)]
    assert got == [
        ("产出指标", "数量指标", "建设公园数量", "1", "个"),
        ("产出指标", "数量指标", "建设公园数量", "1", "个"),  # the right-hand group
        ("产出指标", "质量指标", "验收合格率", "95", "%"),  # 完工率 prints no target: not read
        ("效益指标", "经济效益指标", "项目开展时间", "20", "天"),
        ("效益指标", "经济效益指标", "项目开展时间", "20", "天"),
    ]


def test_one_row_remainder_on_next_page_shifted_under_the_label_column(tmp_path: Path) -> None:
    """p15 ends the table but one row; p16 prints it alone and without the label column."""
    doc = new_pdf()
    page = _form_page(doc, "部门整体支出绩效目标表")
    widths = [70, 70, 90, 110, 50, 50, 40, 40]
    rows = [
        ["年度绩效指标", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "权重"],
        ["", "产出指标", "数量指标", "法律援助案件数", "≥", "225", "件", "90"],
    ]
    draw_table(page, rows, widths, top=90)
    page2 = doc.new_page(width=595, height=842)
    draw_table(page2, [["成本指标", "经济成本指标", "法律援助案件补贴", "=", "1557.33", "万元", "10", ""]], widths,
               top=56, row_height=40)
    got = [(i.page, i.level1, i.level2, i.name, i.operator, i.value, i.unit, i.weight) for i in _read(doc, tmp_path)]
    assert got == [
        (1, "产出指标", "数量指标", "法律援助案件数", "≥", "225", "件", "90"),
        (2, "成本指标", "经济成本指标", "法律援助案件补贴", "=", "1557.33", "万元", "10"),
    ]


def _ind(project: str, name: str, weight: str | None) -> Indicator:
    return Indicator(scope="项目", project=project, level1="产出指标", level2="数量指标", name=name,
                     operator=None, value="1", unit=None, weight=weight, direction=None, page=1)


def test_boundary_rows_go_where_both_projects_weights_sum_to_100() -> None:
    # A sums to 130 and B to 70 as read; moving the two loose rows above B makes both 100
    inds = [_ind("A", "a1", "60"), _ind("A", "a2", "40"), _ind("A", "x1", "10"), _ind("A", "x2", "20"),
            _ind("B", "b1", "70")]
    places = [_Place(True, False, False), _Place(False, False, True), _Place(False, False, True),
              _Place(False, False, True), _Place(True, False, False)]
    out = settle_boundaries(inds, places)
    assert [(i.project, i.name) for i in out] == [("A", "a1"), ("A", "a2"), ("B", "x1"), ("B", "x2"), ("B", "b1")]
    assert out[2].flags == ["project_from_neighbours"] and out[1].flags is None


def test_boundary_rows_stay_when_the_sums_hold_or_no_split_proves_anything() -> None:
    places = [_Place(True, False, False), _Place(False, True, True), _Place(True, False, False)]
    holding = [_ind("A", "a1", "90"), _ind("A", "x", "10"), _ind("B", "b1", "100")]
    assert settle_boundaries(holding, places) == holding  # A holds: the cue does not break it
    # no weights printed: the row where B's own text (年度目标) starts goes to B
    bare = [_ind("A", "a1", None), _ind("A", "x", None), _ind("B", "b1", None)]
    assert [i.project for i in settle_boundaries(bare, places)] == ["A", "B", "B"]
    # the same without the cue: nothing to go by, nothing moves
    quiet = [_Place(True, False, False), _Place(False, False, True), _Place(True, False, False)]
    assert settle_boundaries(bare, quiet) == bare


def test_header_words_misread_by_one_character_still_name_their_column() -> None:
    from extractor.extract.indicators import _field

    assert _field("二级招标") == "level2"  # 000_scan p10: 二级指标 read with 招
    assert _field("一级指标") == "level1" and _field("三级指标") == "name"
    assert _field("金额") is None and _field("二级招聘") is None  # two characters off: not a header


def test_ocr_level_words_one_character_off_are_read_as_the_taxonomy_term() -> None:
    from extractor.extract.indicators import _text
    from extractor.layout.grid import Cell
    from extractor.read.page import Word
    from extractor.vocabulary import taxonomy_term

    assert taxonomy_term("产出推标") == "产出指标" and taxonomy_term("满意度招标") == "满意度指标"
    assert taxonomy_term("质量指标") == "质量指标"  # exact, though one off 数量指标
    assert taxonomy_term("法律援助") is None
    box = (0.0, 0.0, 10.0, 10.0)
    scanned = Cell(0, 0, 1, 1, box, [Word("效益措标", 0, 0, 10, 10, ocr=True)], "效益措标")
    printed = Cell(0, 0, 1, 1, box, [Word("效益措标", 0, 0, 10, 10)], "效益措标")
    assert _text(scanned) == "效益指标" and _text(printed) == "效益措标"  # a text layer is read as printed


def test_levels_run_together_in_a_combined_indicator_column(tmp_path: Path) -> None:
    """北京 部门整体 form: 活动 | 绩效指标 | 指标性质 | 指标值 | 度量单位, the 绩效指标 cell
    printing 一级 + 二级 + name run together; 活动 is not a project (部门整体)."""
    doc = new_pdf()
    page = _form_page(doc, "部门整体支出绩效目标表")
    rows = [
        ["部门名称", ("北京市某局", 1, 4), None, None, None],
        ["活动", "绩效指标", "指标性质", "指标值", "度量单位"],
        ["专项统计", "产出指标数量指标开展调查工作", "≥", "12", "个"],
        ["专项统计", "产出指标质量指标数据差错率", "≤", "2", "%"],
        ["专项统计", "效益指标社会效益指标决策参考", "定性", "高", ""],
    ]
    draw_table(page, rows, [80, 200, 60, 80, 60], top=80)
    got = [(i.scope, *_row(i)) for i in _read(doc, tmp_path)]
    assert got == [
        ("部门整体", None, "产出指标", "数量指标", "开展调查工作", "≥", "12", "个"),
        ("部门整体", None, "产出指标", "质量指标", "数据差错率", "≤", "2", "%"),
        ("部门整体", None, "效益指标", "社会效益指标", "决策参考", "定性", "高", None),
    ]


def test_form_goes_on_over_a_page_with_its_own_columns_and_a_split_name(tmp_path: Path) -> None:
    """A form whose 项目名称 cell breaks over the page ('…补助资' | '金') and whose next page
    rules its own columns, untitled: one table, the project's name whole."""
    doc = new_pdf()
    page = _form_page(doc, "医疗保障补助资金项目绩效目标表")
    draw_table(page, [["单位名称", "某医疗保障局"], ["项目名称", "医疗保障能力提升补助资"]], [100, 300], top=700)
    page = doc.new_page(width=595, height=842)
    rows = [
        [None, "金", None, None, None],
        ["主管部门", "某医疗保障局", None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"],
        [None, "产出指标", "数量指标", "检查覆盖率", "≥90%"],
    ]
    draw_table(page, rows, [80, 80, 80, 120, 80], top=60)
    got = [_row(i) for i in _read(doc, tmp_path)]
    assert got == [("医疗保障能力提升补助资金", "产出指标", "数量指标", "检查覆盖率", "≥", "90", "%")]
