"""The prose reader and the small grid-reader rules added beside it."""

from __future__ import annotations

from extractor.chunk import Chunk, ChunkCell
from extractor.extract.grid import join_code
from extractor.extract.prose import items, read_prose, sections, split_target
from extractor.vocabulary import DEPARTMENT_LINE

TEXT = ("一、产出指标 (一) 数量指标 1. 村(社区)人民调解员542人。\n(二) 质量指标 1. 调解成功率≥96人。 (三) 时效指标 1. :2024\n"
        "年1月1日-2024年12月31日。 (四) 成本指标：调解员补贴成\n本≤54.2万元。 二、效益指标 (一) 经济效益指标： (二) 社会\n"
        "效益指标：有效化解各类矛盾纠纷，维护了辖区社会稳定，\n群众依法表达诉求率提升调解率≥90%。 三、满意度指标：人民调解员满意度≥85%。")


def _chunk(text: str) -> Chunk:
    return Chunk(id="p1-t1-p1-r5c4", kind="text", pages=[1], context="人民调解员补贴经费", text=text,
                 cells=[ChunkCell(ref="text", page=1, box=(1, 2, 3, 4), text=text)])


def test_headings_give_levels_and_wrapped_headings_join() -> None:
    found = sections(TEXT)
    assert [(a, b) for a, b, _ in found] == [
        ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
        ("效益指标", "社会效益指标"), ("满意度指标", None)]  # 经济效益指标 printed empty


def test_items_split_at_markers_not_at_decimals() -> None:
    assert items(" 1. 每天手机签到；2、每月参加社会公益劳动；3、接受教育。") == ["每天手机签到", "每月参加社会公益劳动", "接受教育"]
    assert items("需要经费1.7 万元。") == ["需要经费1.7万元"]
    assert items("目标一:1、年度开展培训;2、印发宣传资料,1、1次。2、 ≥200人3、≥500本") == [
        "年度开展培训", "印发宣传资料", "1次", "≥200人", "≥500本"]
    assert items("1.2024年1月1日-2024年12月31日") == ["2024年1月1日-2024年12月31日"]
    assert items("1确保法学会工作正常开展") == ["确保法学会工作正常开展"]


def test_targets_split_only_at_a_trailing_number() -> None:
    assert split_target("调解员补贴成本≤54.2万元") == ("调解员补贴成本", "≤", "54.2", "万元")
    assert split_target("群众满意度达到85%") == ("群众满意度达到", None, "85", "%")
    assert split_target("平台监管8760小时(365天)") == ("平台监管8760小时(365天)", None, None, None)
    assert split_target("2024年1月1日-2024年12月31日") == ("2024年1月1日-2024年12月31日", None, None, None)
    assert split_target("≥8小时") == ("", "≥", "8", "小时")


def test_read_prose_keeps_the_printed_source_of_every_value() -> None:
    got = read_prose(_chunk(TEXT))
    assert [(i.name, i.operator, i.value, i.unit) for i in got] == [
        ("村(社区)人民调解员", None, "542", "人"), ("调解成功率", "≥", "96", "人"),
        ("2024年1月1日-2024年12月31日", None, None, None), ("调解员补贴成本", "≤", "54.2", "万元"),
        ("有效化解各类矛盾纠纷,维护了辖区社会稳定,群众依法表达诉求率提升调解率", "≥", "90", "%"),
        ("人民调解员满意度", "≥", "85", "%")]
    assert {i.project for i in got} == {"人民调解员补贴经费"}
    for ind in got:
        if ind.value:
            assert ind.value in ind.provenance.cells["value"].text
        assert ind.provenance.box == (1, 2, 3, 4) and ind.provenance.chunk_id == "p1-t1-p1-r5c4"


def test_prose_without_headings_is_left_for_the_model() -> None:
    assert read_prose(_chunk("保障各项业务工作正常开展，所需工作费用；群众满意度达到85%")) == []


def test_single_digit_kuan_is_zero_padded_and_codes_join() -> None:
    assert join_code(["301", "2"]) == "30102"
    assert join_code(["204", "06", "01"]) == "2040601"
    assert join_code(["301", "01", "30101"]) == "30101"


def test_blank_department_field_and_unit_lines_name_no_department() -> None:
    assert DEPARTMENT_LINE.search("部门： 金额单位：万元") is None
    assert DEPARTMENT_LINE.search("单位: 万元") is None
    assert DEPARTMENT_LINE.search("编制单位：江油市司法局 金额单位：万元").group(1) == "江油市司法局"


PLAIN = "产出指标：全年开展普法宣传活动12场，培训人数不少于200人次，按时完成率100%，群众满意度达到95%以上。"


def _segment_with(answers: list[dict]):  # type: ignore[no-untyped-def]
    from extractor.config import LLMSettings
    from extractor.extract.llm import tasks
    from mockllm import mock_model

    model, seen = mock_model(answers, settings=LLMSettings(max_retries=0, max_reasks=1))
    got = tasks.segment(model.client, model.prompts["segment"], _chunk(PLAIN), "d.pdf", "项目", "普法经费")
    return got, seen


def test_prose_without_headings_is_segmented_not_rewritten() -> None:
    """The model gives spans; a span not printed in the chunk (an invented 300) is refused and
    asked again; names, operators, values and units come from the span by the parser; a
    level the chunk does not print is dropped (never invented)."""
    invented = {"indicators": [{"span": "培训人数不少于300人次", "level1": "产出指标", "level2": "数量指标"}]}
    good = {"indicators": [
        {"span": "全年开展普法宣传活动12场", "level1": "产出指标", "level2": "数量指标"},
        {"span": "培训人数不少于200人次", "level1": "产出指标", "level2": "数量指标"},
        {"span": "按时完成率100%", "level1": "产出指标", "level2": "时效指标"},
        {"span": "群众满意度达到95%以上", "level1": "满意度指标", "level2": "服务对象满意度指标"},
    ]}
    got, seen = _segment_with([invented, good])
    assert len(seen) == 2 and "not in the chunk" in json_text(seen[1])
    assert [(i.project, i.level1, i.level2, i.name, i.operator, i.value, i.unit) for i in got] == [
        ("普法经费", "产出指标", None, "全年开展普法宣传活动", None, "12", "场"),
        ("普法经费", "产出指标", None, "培训人数", "≥", "200", "人次"),
        ("普法经费", "产出指标", None, "按时完成率", None, "100", "%"),
        ("普法经费", None, None, "群众满意度达到", "≥", "95", "%"),
    ]
    assert all(i.provenance and i.provenance.method == "llm" and i.value in PLAIN for i in got)


def json_text(request: dict) -> str:
    import json

    return json.dumps(request, ensure_ascii=False)


def test_default_model_segments_prose_recorded(model) -> None:  # noqa: ANN001 - the conftest fixture
    """The default embedded model (recorded) segments a prose chunk: every span it gives is
    printed in the chunk, and every value is the parser's reading of a printed span."""
    from extractor.extract.llm import tasks

    got = tasks.segment(model.client, model.prompts["segment"], _chunk(PLAIN), "d.pdf", "项目", "普法经费")
    assert got, "no indicator segmented"
    flat = PLAIN.replace(" ", "")
    for i in got:
        assert i.provenance is not None and i.provenance.cells["name"].text in flat
        assert i.value is None or i.value in flat
    assert {i.value for i in got} >= {"12", "200"}
