"""Indicators printed as coded records in one cell (广州 项目支出绩效目标表), and targets
written in a sentence. Read deterministically: levels without their codes, the year's
target, the qualifier before a single number dropped, compound targets kept as text."""

from __future__ import annotations

import pytest

from extractor.chunk import Chunk, ChunkCell
from extractor.extract.prose import coded_records, read_prose
from extractor.extract.targets import Target, loose_target

CELL = ("1、1-产出指标；11-数量指标；会议活动保障次数；实施周期指标值:\n每年≥20场；年度指标值:每年≥20场。2、1-产出指标；12-质"
        "量指标；保障场地正常运行；实施周期指标值:≥\n99.5%；年度指标值:≥99.5%。3、2-效益指标；22-社会效益；业务场景构建支撑服务（大模型平台运\n营）；"
        "实施周期指标值:≥10；年度指标值:≥5。4、4-成本指标；41-经济成本指标；诉讼费用；实施周期指标值:≤《广东省律师服务收费标准》建议律师费；"
        "年度指标值:≤《广东省律师服务收费标准》建议律师费。")


def test_coded_records_split_levels_name_and_the_years_target() -> None:
    got = coded_records(CELL)
    assert got is not None
    assert [(l1, l2, name, target) for l1, l2, name, target, _ in got] == [
        ("产出指标", "数量指标", "会议活动保障次数", "每年≥20场"),
        ("产出指标", "质量指标", "保障场地正常运行", "≥99.5%"),
        ("效益指标", "社会效益", "业务场景构建支撑服务(大模型平台运营)", "≥5"),  # the year's, not the period's 10
        ("成本指标", "经济成本指标", "诉讼费用", "≤《广东省律师服务收费标准》建议律师费"),
    ]
    assert coded_records("一、产出指标 (一) 数量指标 1. 调解员542人。") is None


def test_read_prose_reads_coded_records_with_their_project_and_source() -> None:
    chunk = Chunk(id="p1-t1-p1-r5c6", kind="text", pages=[3], context="穗智管运营服务项目", text=CELL,
                  cells=[ChunkCell(ref="text", page=3, box=(10, 20, 300, 400), text=CELL)])
    inds = read_prose(chunk, "项目")
    assert [(i.project, i.name, i.operator, i.value, i.unit) for i in inds] == [
        ("穗智管运营服务项目", "会议活动保障次数", "≥", "20", "场"),
        ("穗智管运营服务项目", "保障场地正常运行", "≥", "99.5", "%"),
        ("穗智管运营服务项目", "业务场景构建支撑服务(大模型平台运营)", "≥", "5", None),
        ("穗智管运营服务项目", "诉讼费用", "≤", "《广东省律师服务收费标准》建议律师费", None),
    ]
    assert inds[0].page == 3 and "会议活动保障次数" in inds[0].provenance.cells["name"].text


@pytest.mark.parametrize("text, want", [
    ("每年≥20场", Target("≥", "20", "场")),
    ("入库专家数不少于600个", Target("≥", "600", "个")),
    ("季度质量考核表评分＞85分", Target(">", "85", "分")),
    ("平均响应时间﹤5秒", Target("<", "5", "秒")),
    ("≧98%", Target("≥", "98", "%")),
    ("每季度100%", Target(None, "100", "%")),
    ("2份", Target(None, "2", "份")),
    ("≤29.91元/件", Target("≤", "29.91", "元/件")),
    ("≤3万元/分钟", Target("≤", "3", "万元/分钟")),
    ("≥10个不同的治理服务场景", Target("≥", "10", "个")),
    ("2项（2项基础服务）", Target(None, "2", "项")),
    ("实际支出≤2,711,880元", Target("≤", "2711880", "元")),
    ("一级事件≤1小时;二级事件≤2小时", Target(None, "一级事件≤1小时;二级事件≤2小时", None)),
    ("提供10项数据安全目录+10项密码服务目录", Target(None, "提供10项数据安全目录+10项密码服务目录", None)),
    ("不得产生负面舆情", Target(None, "不得产生负面舆情", None)),
    ("≤《广东省律师服务收费标准》建议律师费", Target("≤", "《广东省律师服务收费标准》建议律师费", None)),
])
def test_loose_targets(text: str, want: Target) -> None:
    assert loose_target(text) == want
