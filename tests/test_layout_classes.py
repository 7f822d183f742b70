"""Layout classes met in real disclosures, built in code (no corpus needed):

- 北京 报表: code and name in one cell (`2010501-行政运行`), three classifications a row,
  six decimals, the table continued on pages whose frame adds a sliver column;
- codes in brackets inside the name cell (`[201]一般公共服务支出`);
- an empty frame printing only 合计 (no records), its title drawn inside the grid;
- indicator tables without 一级/二级/三级 columns (重庆: 指标名称 | 指标性质 | 指标值 …);
- `小计 | 其中：基本支出 | 项目支出`: the 其中 opens the split, it is not a subset.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from pdfmaker import draw_table, new_pdf, save, write_text

from extractor.extract.grid import split_code_label
from extractor.extract.gridread import read_grid
from extractor.pipeline import analyse
from extractor.reconcile.columns import row_templates

HEADER_BJ = [
    [("支出功能分类科目", 2, 1), ("政府支出经济分类科目", 2, 1), ("部门支出经济分类科目", 2, 1),
     ("合计", 2, 1), ("基本支出", 2, 1), ("项目支出", 2, 1)],
    [None, None, None, None, None, None],
]
WIDTHS_BJ = [120, 130, 130, 110, 110, 110]


def _beijing(tmp_path: Path, sliver_on_second_page: bool) -> Path:
    doc = new_pdf()
    page = doc.new_page(width=842, height=595)
    write_text(page, 300, 50, "预算03表 支出总表", size=14)
    write_text(page, 650, 70, "金额单位：万元")
    rows = HEADER_BJ + [
        ["2010501-行政运行", "50101-工资奖金津补贴", "30101-基本工资", "3,702.206400", "3,702.206400", ""],
        ["2010501-行政运行", "50201-办公经费", "30201-办公费", "172.564019", "", "172.564019"],
    ]
    draw_table(page, rows, WIDTHS_BJ, top=80, left=30)
    page = doc.new_page(width=842, height=595)
    rows = HEADER_BJ + [
        ["2010505-专项统计业务", "50205-委托业务费", "30227-委托业务费", "4,535.791000", "", "4,535.791000"],
        [("合    计", 1, 3), None, None, "8,410.561419", "3,702.206400", "4,708.355019"],
    ]
    left = 30
    if sliver_on_second_page:  # a frame drawn 8 pt outside the table on this page only
        shape = page.new_shape()
        shape.draw_rect(pymupdf.Rect(22, 80, 30 + sum(WIDTHS_BJ) + 8, 80 + 22 * len(rows)))
        shape.finish(color=(0, 0, 0), width=0.6)
        shape.commit()
    draw_table(page, rows, WIDTHS_BJ, top=80, left=left)
    return save(doc, tmp_path / "bj.pdf")


def test_beijing_code_name_cells_and_other_codes(tmp_path: Path) -> None:
    doc = read_grid(analyse(_beijing(tmp_path, sliver_on_second_page=True)))
    got = [(i.table, i.code, i.name, i.other_codes, i.values["合计"], i.page) for i in doc.line_items]
    assert got == [
        ("支出总表", "2010501", "行政运行", {"政府支出经济分类科目": "50101", "部门支出经济分类科目": "30101"},
         "3702.206400", 1),
        ("支出总表", "2010501", "行政运行", {"政府支出经济分类科目": "50201", "部门支出经济分类科目": "30201"},
         "172.564019", 1),
        ("支出总表", "2010505", "专项统计业务", {"政府支出经济分类科目": "50205", "部门支出经济分类科目": "30227"},
         "4535.791000", 2),
        ("支出总表", None, "合计", None, "8410.561419", 2),
    ]
    first = doc.line_items[0]
    assert first.provenance.cells["code"].text == "2010501-行政运行"  # the code's printed cell


def test_split_code_label_forms() -> None:
    assert split_code_label("2010601-行政运行") == ("2010601", "行政运行")
    assert split_code_label("[201]一般公共服务支出") == ("201", "一般公共服务支出")
    assert split_code_label("　　[2011105]派驻派出机构") == ("2011105", "派驻派出机构")
    assert split_code_label("【30101】基本工资") == ("30101", "基本工资")
    assert split_code_label("2080505-机关事业单位基本养老\n保险缴费支出") == ("2080505", "机关事业单位基本养老保险缴费支出")
    # not codes: 4 or 6 digits, numbering, a year, digits alone
    assert split_code_label("2024年工作经费") is None
    assert split_code_label("203001-江油市司法局") is None
    assert split_code_label("1、办公费") is None
    assert split_code_label("2010601") is None


def test_bracketed_codes_in_name_cells(tmp_path: Path) -> None:
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    write_text(page, 200, 50, "一般公共预算支出表", size=14)
    write_text(page, 450, 70, "单位：元")
    rows = [
        ["科目名称", "合计", "基本支出", "项目支出"],
        ["[201]一般公共服务支出", "300.00", "200.00", "100.00"],
        ["  [20111]纪检监察事务", "300.00", "200.00", "100.00"],
        ["  [2011105]派驻派出机构", "300.00", "200.00", "100.00"],
    ]
    draw_table(page, rows, [200, 90, 90, 90], top=80)
    got = [(i.code, i.name, i.other_codes) for i in read_grid(analyse(save(doc, tmp_path / "b.pdf"))).line_items]
    assert got == [("201", "一般公共服务支出", None), ("20111", "纪检监察事务", None),
                   ("2011105", "派驻派出机构", None)]


def test_empty_frame_with_title_inside_gives_no_records(tmp_path: Path) -> None:
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    rows = [
        [("预算07表 政府性基金预算支出表", 1, 5), None, None, None, None],
        ["", "", "", ("金额单位：万元", 1, 2), None],
        ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
        ["", "合    计", "", "", ""],
        ["", "", "", "", ""],
    ]
    draw_table(page, rows, [80, 160, 80, 80, 80], top=80)
    analysis = analyse(save(doc, tmp_path / "e.pdf"))
    (table,) = analysis.tables
    assert table.kind == "政府性基金预算支出表" and table.empty
    assert read_grid(analysis).line_items == []


def test_indicator_table_without_levels(tmp_path: Path) -> None:
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    write_text(page, 150, 50, "2026年部门整体绩效目标表", size=14)
    rows = [
        ["指标名称", "指标性质", "指标值", "计量单位", "指标权重(%)", "是否核心"],
        ["气象台站改造数量", "≥", "7", "个", "10", "是"],
        ["观测数据传输及时率", "≥", "98", "%", "20", "否"],
        ["公众气象服务满意度", "≥", "90", "分", "15", "是"],
    ]
    draw_table(page, rows, [150, 60, 60, 60, 70, 60], top=80)
    inds = read_grid(analyse(save(doc, tmp_path / "i.pdf"))).indicators
    got = [(i.scope, i.level1, i.level2, i.name, i.operator, i.value, i.unit, i.weight) for i in inds]
    assert got == [
        ("部门整体", None, None, "气象台站改造数量", "≥", "7", "个", "10"),
        ("部门整体", None, None, "观测数据传输及时率", "≥", "98", "%", "20"),
        ("部门整体", None, None, "公众气象服务满意度", "≥", "90", "分", "15"),
    ]


def test_subtotal_then_qizhong_split_is_a_partition() -> None:
    keys = ("小计", "其中:基本支出", "项目支出")
    assert [t.label for t in row_templates(keys)] == ["小计 = 其中:基本支出 + 项目支出"]
    # a 其中 after a plain column stays a subset
    keys = ("合计", "基本支出", "项目支出", "其中:政府采购")
    assert [t.label for t in row_templates(keys)] == ["合计 = 基本支出 + 项目支出"]


def test_indicator_table_continued_with_fewer_rules_is_stitched(tmp_path: Path) -> None:
    # 西安 p50 → p51: the continuation draws only the indicator columns' rules
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    write_text(page, 200, 50, "部门整体支出绩效目标表", size=14)
    rows = [
        ["部门名称", ("西安市统计局", 1, 5), None, None, None, None],
        ["", "一级指标", "二级指标", ("三级指标", 1, 2), None, "指标值"],
        ["", "产出指标", "数量指标", ("清查户数(万户)", 1, 2), None, "≥110"],
        ["", "", "质量指标", ("调查数据准确率(%)", 1, 2), None, "100"],
    ]
    draw_table(page, rows, [40, 80, 100, 90, 90, 70], top=80)
    page = doc.new_page(width=595, height=842)
    rows2 = [["", "", "采购物资合格率(%)", "100"],
             ["满意度指标", "服务对象满意度指标", "各部门满意度(%)", "≥90"]]
    draw_table(page, rows2, [80, 100, 180, 70], top=80, left=80)
    analysis = analyse(save(doc, tmp_path / "x.pdf"))
    (table,) = analysis.tables
    assert table.pages == [1, 2]
    got = [(i.level1, i.level2, i.name, i.value, i.page) for i in read_grid(analysis).indicators]
    assert got == [
        ("产出指标", "数量指标", "清查户数(万户)", "110", 1),
        ("产出指标", "质量指标", "调查数据准确率(%)", "100", 1),
        ("产出指标", "质量指标", "采购物资合格率(%)", "100", 2),
        ("满意度指标", "服务对象满意度指标", "各部门满意度(%)", "90", 2),
    ]


def test_project_list_with_prose_targets_gives_project_amounts(tmp_path: Path) -> None:
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    write_text(page, 150, 50, "部门预算绩效管理情况 项目绩效目标表", size=12)
    rows = [
        ["二级预算单位名称", "一级项目名称", "预算数（万元）", "绩效目标"],
        ["深圳市民政局（本级）", "社工服务项目", "628.10", "推进社会工作服务开展。"],
        ["深圳市民政局（本级）", "社会组织管理", "569.04", "强化社会组织登记审查。"],
    ]
    draw_table(page, rows, [110, 100, 80, 200], top=80)
    analysis = analyse(save(doc, tmp_path / "s.pdf"))
    out = read_grid(analysis)
    assert [(i.table, i.name, i.values) for i in out.line_items] == [
        ("项目支出表", "社工服务项目", {"预算数(万元)": "628.10"}),
        ("项目支出表", "社会组织管理", {"预算数(万元)": "569.04"}),
    ]
    assert out.indicators == []


def test_department_and_year_from_the_cover_not_placeholders(tmp_path: Path) -> None:
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    write_text(page, 200, 120, "2026年烟台市司法局部门预算", size=16)
    page = doc.new_page(width=595, height=842)
    write_text(page, 200, 50, "支出总表", size=14)
    write_text(page, 40, 70, "部门：（盖章）")
    write_text(page, 450, 70, "单位：万元")
    draw_table(page, [["科目编码", "科目名称", "合计"], ["2040601", "行政运行", "10.00"]], [80, 200, 90], top=80)
    d = read_grid(analyse(save(doc, tmp_path / "c.pdf"))).document
    assert (d.department, d.year) == ("烟台市司法局", 2026)


def test_a_chart_drawn_with_many_strokes_is_not_a_table() -> None:
    """A scanned pie chart's arcs read as hundreds of short rules with a few labels: a
    "grid" of thousands of cells, under 3% holding text, is a drawing."""
    from extractor.layout.grid import find_grids
    from extractor.read.page import Rule, Word

    rules = [Rule(100 + 5 * i, 100, 100 + 5 * i, 400) for i in range(41)]  # verticals
    rules += [Rule(100, 100 + 5 * j, 300, 100 + 5 * j) for j in range(61)]  # horizontals
    words = [Word("基本支出", 150, 150, 170, 158), Word("37.59%", 200, 200, 220, 208)]
    assert find_grids(1, rules, words) == []
    table_words = [Word(f"{r}-{c}", 101 + 5 * c, 101 + 5 * r, 104 + 5 * c, 104 + 5 * r)
                   for r in range(0, 60, 2) for c in range(0, 40, 2)]
    assert len(find_grids(1, rules, table_words)) == 1  # the same rules, filled: a table
