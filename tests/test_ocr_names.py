"""OCR'd project names checked against the names the document's line items print."""

from __future__ import annotations

from extractor.extract.ocr_names import settle_ocr_names, settle_ocr_projects
from extractor.records import Indicator, LineItem
from extractor.vocabulary import SUBJECT_NAMES


def _ind(project: str, page: int) -> Indicator:
    return Indicator(scope="项目", project=project, level1="产出指标", level2="数量指标", name="维护维修及时率",
                     operator="≥", value="90", unit="%", weight=None, direction=None, page=page)


def _item(name: str) -> LineItem:
    return LineItem(table="项目支出表", code=None, name=name, values={"金额": "10.00"}, unit="万元", page=8)


ITEMS = [_item("乡镇司法所经费"), _item("法律援助经费"), _item("法律顾问经费")]


def test_a_one_character_misread_on_an_ocr_page_takes_the_printed_name() -> None:
    [got] = settle_ocr_projects([_ind("乡铺司法所经费", 14)], ITEMS, {14})
    assert got.project == "乡镇司法所经费" and got.flags == ["project_from_document"]


def test_names_left_alone_off_ocr_pages_when_known_or_when_ambiguous() -> None:
    inds = [_ind("乡铺司法所经费", 3), _ind("法律援助经费", 14), _ind("法律X问经费", 14), _ind("法律援助X费", 14)]
    got = settle_ocr_projects(inds, ITEMS, {14})
    assert [i.project for i in got] == ["乡铺司法所经费", "法律援助经费", "法律顾问经费", "法律援助经费"]
    amb = settle_ocr_projects([_ind("法律X助经费", 14)], ITEMS + [_item("法律求助经费")], {14})
    assert amb[0].project == "法律X助经费" and amb[0].flags is None  # two names one apart: no guess


def _coded(name: str, page: int, table: str = "支出总表", code: str = "201") -> LineItem:
    return LineItem(table=table, code=code, name=name, values={"合计": "10.00"}, unit="万元", page=page)


def test_a_subject_name_that_lost_a_character_takes_the_name_its_code_has_elsewhere() -> None:
    items = [_coded("一般公共服务支出", 3), _coded("般公共服务支出", 5, "一般公共预算支出表"),
             _coded("一般公共服务支出", 6, "项目支出表")]
    got = settle_ocr_names(items, {3, 5, 6})
    assert [i.name for i in got] == ["一般公共服务支出"] * 3
    assert got[1].flags == ["name_from_document:般公共服务支出"] and got[0].flags is None


def test_a_subject_name_is_not_repaired_on_a_tie_off_ocr_pages_or_when_short() -> None:
    tie = [_coded("一般公共服务支出", 3, code="299"), _coded("般公共服务支出", 5, code="299")]  # 299: no vocabulary
    assert [i.name for i in settle_ocr_names(tie, {3, 5})] == ["一般公共服务支出", "般公共服务支出"]
    text_page = [_coded("一般公共服务支出", 3), _coded("一般公共服务支出", 4), _coded("般公共服务支出", 5)]
    assert settle_ocr_names(text_page, {3, 4})[2].name == "般公共服务支出"  # p5 has a text layer
    short = [_coded("其他", 3), _coded("其他", 4), _coded("其它", 5)]
    assert settle_ocr_names(short, {3, 4, 5})[2].name == "其它"


def test_a_subject_name_one_slip_from_its_codes_national_name_takes_it_on_ocr_pages_only() -> None:
    assert SUBJECT_NAMES["2010501"] == ("行政运行",) and "一般公共服务支出" in SUBJECT_NAMES["201"]
    items = [_coded("般公共服务支出", 5), _coded("一般公共服务支岀", 6), _coded("般公共服务支出", 7),
             _coded("行政运作费", 5, code="2010501")]
    got = settle_ocr_names(items, {5, 6})
    assert [i.name for i in got] == ["一般公共服务支出", "一般公共服务支出", "般公共服务支出", "行政运作费"]
    assert got[0].flags == ["name_from_vocabulary:般公共服务支出"]
    assert got[1].flags == ["name_from_vocabulary:一般公共服务支岀"]
    assert got[2].flags is None  # p7 has a text layer: printed as it is
    assert got[3].flags is None  # two slips from 行政运行: not a misreading of it
