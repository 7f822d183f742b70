"""Reading + layout + grid reader on PDFs made in the test (no corpus needed)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from pdfmaker import draw_table, new_pdf, save, write_text

from extractor.extract.gridread import read_grid
from extractor.layout.tables import find_tables
from extractor.pipeline import analyse
from extractor.read.pdf import ReadError, read_pdf

HEADER = [
    [("科目编码", 1, 3), None, None, ("科目名称", 2, 1), ("合计", 2, 1), ("基本支出", 1, 2), None, ("项目支出", 2, 1)],
    ["类", "款", "项", None, None, "人员经费", "公用经费", None],
]
WIDTHS = [30, 30, 30, 220, 85, 85, 85, 85]
BODY = [
    ["", "", "", "合 计", "1,557.33", "1,100.00", "96.34", "361.00"],
    ["204", "", "", "公共安全支出", "1,518.59", "1,100.00", "96.34", "322.25"],
    ["", "06", "", "司法", "1,518.59", "1,100.00", "96.34", "322.25"],
    ["204", "06", "01", "行政运行", "1,196.34", "1,100.00", "96.34", ""],
    ["204", "06", "02", "一般行政管理事务与其他很长的名称需要换行显示", "322.25", "", "", "322.25"],
]


def _page(doc: pymupdf.Document, title: str, unit: str = "单位：万元", width: float = 842, height: float = 595):
    page = doc.new_page(width=width, height=height)
    write_text(page, 300, 50, title, size=14)
    write_text(page, 700, 80, unit)
    return page


def test_two_line_header_split_codes_and_wrapped_cell(tmp_path: Path) -> None:
    doc = new_pdf()
    page = _page(doc, "2024年一般公共预算支出表")
    draw_table(page, HEADER + BODY, WIDTHS, top=90)
    pdf = read_pdf(save(doc, tmp_path / "t.pdf"))
    [table] = find_tables(pdf.pages)
    assert table.kind == "一般公共预算支出表" and table.unit == "万元" and table.year == 2024
    keys = [c.key for c in table.header.columns if c.role == "amount"]
    assert keys == ["合计", "基本支出/人员经费", "基本支出/公用经费", "项目支出"]
    assert [c.role for c in table.header.columns[:4]] == ["code", "code", "code", "label"]

    items = read_grid(analyse(tmp_path / "t.pdf")).line_items
    assert [(i.code, i.name) for i in items] == [
        (None, "合计"),
        ("204", "公共安全支出"),
        ("20406", "司法"),  # 类 left blank in print, filled from the row above
        ("2040601", "行政运行"),
        ("2040602", "一般行政管理事务与其他很长的名称需要换行显示"),  # wrapped, one cell
    ]
    last = items[-1]
    assert last.values == {"合计": "322.25", "基本支出/人员经费": None, "基本支出/公用经费": None, "项目支出": "322.25"}
    cell = last.provenance.cells["values.合计"]
    assert cell.page == 1 and cell.text == "322.25"
    x0, y0, x1, y1 = cell.box
    assert x0 < x1 and y0 < y1 and 90 < y0 < 595


def test_table_over_two_pages_without_and_with_repeated_header(tmp_path: Path) -> None:
    for repeat in (False, True):
        doc = new_pdf()
        p1 = _page(doc, "部门支出总表")
        draw_table(p1, HEADER + BODY[:3], WIDTHS, top=90)
        p2 = doc.new_page(width=842, height=595)
        draw_table(p2, (HEADER if repeat else []) + BODY[3:], WIDTHS, top=40)
        path = save(doc, tmp_path / f"two-{repeat}.pdf")
        [table] = find_tables(read_pdf(path).pages)
        assert table.pages == [1, 2]
        items = read_grid(analyse(path)).line_items
        assert [i.code for i in items] == [None, "204", "20406", "2040601", "2040602"]
        assert [i.page for i in items] == [1, 1, 1, 2, 2]
        assert items[3].values["基本支出/人员经费"] == "1100.00"


def test_side_by_side_halves_read_row_by_row(tmp_path: Path) -> None:
    doc = new_pdf()
    page = _page(doc, "部门收支总表")
    rows = [
        [("收入", 1, 2), None, ("支出", 1, 2), None],
        ["项目", "预算数", "项目", "预算数"],
        ["一、一般公共预算拨款收入", "1,557.33", "一、一般公共服务支出", ""],
        ["二、上年结转", "220.00", "四、公共安全支出", "1,777.33"],
        ["", "", "八、社会保障和就业支出", ""],
        ["收入总计", "1,777.33", "支出总计", "1,777.33"],
    ]
    draw_table(page, rows, [200, 90, 200, 90], top=90)
    items = read_grid(analyse(save(doc, tmp_path / "s.pdf"))).line_items
    assert [(i.name, i.values) for i in items] == [
        ("一、一般公共预算拨款收入", {"收入/预算数": "1557.33"}),
        ("一、一般公共服务支出", {"支出/预算数": None}),
        ("二、上年结转", {"收入/预算数": "220.00"}),
        ("四、公共安全支出", {"支出/预算数": "1777.33"}),
        ("八、社会保障和就业支出", {"支出/预算数": None}),
        ("收入总计", {"收入/预算数": "1777.33"}),
        ("支出总计", {"支出/预算数": "1777.33"}),
    ]
    assert all(i.table == "收支总表" for i in items)


def test_empty_table_is_recorded_empty_not_an_error(tmp_path: Path) -> None:
    doc = new_pdf()
    page = _page(doc, "政府性基金预算支出表")
    bottom = draw_table(page, HEADER + [[""] * 8], WIDTHS, top=90)
    write_text(page, 40, bottom + 20, "注：本部门本年度无政府性基金预算支出，本表无数据。")
    analysis = analyse(save(doc, tmp_path / "e.pdf"))
    [table] = analysis.tables
    assert table.kind == "政府性基金预算支出表" and table.empty
    assert read_grid(analysis).line_items == []


def test_rotated_page_is_read_as_displayed(tmp_path: Path) -> None:
    # A landscape table stored on a portrait page turned by /Rotate, as some offices print:
    # the text layer is sideways in file coordinates and upright on screen.
    src = new_pdf()
    draw_table(_page(src, "部门支出总表"), HEADER + BODY, WIDTHS, top=90)
    doc = new_pdf()
    page = doc.new_page(width=595, height=842)
    page.show_pdf_page(page.rect, src, 0, rotate=90)
    page.set_rotation(90)
    path = save(doc, tmp_path / "r.pdf")
    pdf = read_pdf(path)
    assert pdf.pages[0].rotation == 90 and pdf.pages[0].width > pdf.pages[0].height
    items = read_grid(analyse(path)).line_items
    assert [i.code for i in items] == [None, "204", "20406", "2040601", "2040602"]
    assert items[0].table == "支出总表" and items[0].values["合计"] == "1557.33"


def test_indicator_table_levels_filled_down_and_targets_split(tmp_path: Path) -> None:
    doc = new_pdf()
    page = _page(doc, "2024年项目支出绩效目标表", unit="单位：元")
    rows = [
        ["项目名称", ("法律援助经费", 1, 4), None, None, None],
        ["一级指标", "二级指标", "三级指标", "指标值", "权重"],
        [("产出指标", 2, 1), "数量指标", "法律援助受援人次", "≥800人次", "10"],
        [None, "质量指标", "案件办结率", "≥96%", "15"],
        ["满意度指标", "服务对象满意度指标", "群众满意率", "优良差", "10"],
    ]
    draw_table(page, rows, [90, 120, 200, 90, 60], top=90)
    inds = read_grid(analyse(save(doc, tmp_path / "i.pdf"))).indicators
    got = [(i.project, i.level1, i.level2, i.name, i.operator, i.value, i.unit, i.weight) for i in inds]
    assert got == [
        ("法律援助经费", "产出指标", "数量指标", "法律援助受援人次", "≥", "800", "人次", "10"),
        ("法律援助经费", "产出指标", "质量指标", "案件办结率", "≥", "96", "%", "15"),
        ("法律援助经费", "满意度指标", "服务对象满意度指标", "群众满意率", None, "优良差", None, "10"),
    ]
    assert all(i.scope == "项目" and i.provenance.cells["name"].page == 1 for i in inds)


def test_broken_pdf_raises_read_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(ReadError):
        read_pdf(bad)


@pytest.mark.parametrize("numbers", [
    ["栏次", "", "", "", "1", "2", "3", "4"],
    ["**", "**", "*水", "**", "1", "2", "3", "4"],  # a scan's ** read as *水: still the number row
])
def test_the_row_numbering_the_columns_is_header_not_a_path_part(tmp_path: Path, numbers: list[str]) -> None:
    doc = new_pdf()
    page = _page(doc, "2024年一般公共预算支出表")
    draw_table(page, HEADER + [numbers] + BODY, WIDTHS, top=90)
    pdf = read_pdf(save(doc, tmp_path / "t.pdf"))
    [table] = find_tables(pdf.pages)
    keys = [c.key for c in table.header.columns if c.role == "amount"]
    assert keys == ["合计", "基本支出/人员经费", "基本支出/公用经费", "项目支出"]


def test_a_rule_piece_inside_a_row_is_no_row_of_its_own() -> None:
    """A scan keeps short pieces of strokes and rules inside a row (5 pt print ruled in
    grey): a line that bounds no cell in any column must not cut the row into empty rows
    that read as records of their own."""
    from extractor.layout.grid import find_grids, ruled_cells
    from extractor.read.page import Rule, Word

    xs, ys = (100.0, 250.0, 400.0), (100.0, 120.0, 140.0, 160.0)
    rules = [Rule(xs[0], y, xs[-1], y) for y in ys] + [Rule(x, ys[0], x, ys[-1]) for x in xs]
    pieces = [Rule(110.0, 126.0, 150.0, 126.0), Rule(300.0, 131.5, 330.0, 131.5),  # inside the second row
              Rule(330.0, 142.0, 330.0, 147.0)]  # and a stroke across the third
    words = [Word(t, x, y, x + 40, y + 8) for t, x, y in
             (("名称", 105, 106), ("金额", 255, 106), ("会议服务", 105, 126), ("3.84", 255, 126),
              ("印刷服务", 105, 146), ("0.60", 255, 146))]
    grid = find_grids(1, rules + pieces, words)[0]
    assert grid.ys == list(ys) and grid.xs == list(xs)
    assert [[c.text for c in grid.row_cells(r)] for r in range(grid.n_rows)] == [
        ["名称", "金额"], ["会议服务", "3.84"], ["印刷服务", "0.60"]]
    # the cells a scanned page is read by are the same six
    assert len(ruled_cells(rules + pieces)[0][1]) == 6
