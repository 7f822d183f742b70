"""The second look at doubtful characters: the recogniser's candidates, weighed against the
words the document prints surely and the vocabulary's."""

from __future__ import annotations

import numpy as np

from extractor import vocabulary
from extractor.normalize import paired_quotes
from extractor.read.cellocr import Band, Reading
from extractor.read.lexical import attested, lexical_look, reread
from extractor.read.ocr import ctc_decode

BAND = Band(0, 0, 10, 10)


def read(text: str, doubts: dict[int, tuple[tuple[str, float], ...]] | None = None) -> Reading:
    """A reading whose characters are all sure but those in `doubts` (index → candidates)."""
    doubts = doubts or {}
    alts = tuple(doubts.get(i, ((c, 0.999), ("", 0.001))) for i, c in enumerate(text))
    return Reading(BAND, (0, 0, 10, 10), text, 0.9, alts=alts)


def test_a_doubtful_character_takes_the_candidate_the_vocabulary_attests() -> None:
    r = read("维护维修及时事", {6: (("事", 0.442), ("率", 0.394), ("串", 0.119))})
    [got] = lexical_look([r], vocabulary.ocr_terms())
    assert got.text == "维护维修及时率" and got.first == "维护维修及时事"


def test_a_doubtful_character_takes_the_candidate_the_document_prints_surely_elsewhere() -> None:
    project = read("法律顾问经费")
    slip = read("法律殿问提供法律服务工作完成率", {2: (("殿", 0.466), ("股", 0.165), ("顾", 0.074))})
    got = lexical_look([project, slip], ())
    assert got[1].text == "法律顾问提供法律服务工作完成率" and got[0] is project
    # the same slip alone: nothing attests 顾, so it stays as read
    assert lexical_look([slip], ())[0].text == slip.text


def test_the_documents_own_misreadings_do_not_attest_themselves() -> None:
    counts = attested([read("法律殿问", {2: (("殿", 0.4), ("顾", 0.3))})] * 3, ())
    assert counts["律殿"] == 0 and counts["法律"] == 3


def test_sure_characters_figures_and_numerals_stay_as_read() -> None:
    counts = attested([read("表三2024年"), read("30.88")], ["及时率"])
    sure = read("维护维修及时事", {6: (("事", 0.991), ("率", 0.03))})
    figure = read("30.00", {1: (("0", 0.6), ("8", 0.4))})
    numeral = read("表二2024年", {1: (("二", 0.5), ("三", 0.45))})
    for r in (sure, figure, numeral):
        assert reread(r, counts) is r


def test_a_character_as_well_attested_as_its_candidate_stays() -> None:
    counts = attested([read("经费支出"), read("经营支出")], ())
    r = read("经费支出", {1: (("费", 0.6), ("营", 0.3))})
    assert reread(r, counts).text == "经费支出"


def test_a_speck_beside_a_label_is_dropped_and_real_edges_are_kept() -> None:
    counts = attested([read("五、教育支出")], vocabulary.ocr_terms())
    speck = read("1一般公共预算拨款收入", {0: (("1", 0.4), ("", 0.3))})
    tail = read("教育支出一", {4: (("一", 0.5), ("", 0.4))})
    assert reread(speck, counts).text == "一般公共预算拨款收入"
    assert reread(tail, counts).text == "教育支出"
    colon = read("部门:", {2: ((":", 0.5), ("", 0.4))})
    rate = read("案件应诉率", {4: (("率", 0.6), ("", 0.3))})
    assert reread(colon, counts) is colon and reread(rate, counts) is rate


def test_quotes_are_paired_where_they_come_even() -> None:
    assert paired_quotes('"12.4”活动') == "“12.4”活动"
    assert paired_quotes("保障”雪亮工程”各项") == "保障“雪亮工程”各项"
    assert paired_quotes("“知法懂法守法“意识，“八五”") == "“知法懂法守法”意识，“八五”"
    assert paired_quotes("矛盾不上交”") == "矛盾不上交”"  # one quote: which way is not known


def test_ctc_decoding_keeps_each_characters_candidates() -> None:
    charset = ["", "率", "事", "及"]
    steps = np.array([
        [0.1, 0.0, 0.0, 0.9],  # 及
        [0.1, 0.0, 0.0, 0.9],  # 及 again: one character
        [0.9, 0.0, 0.05, 0.05],  # blank
        [0.05, 0.39, 0.44, 0.12],  # 事, 率 a close second
        [0.9, 0.05, 0.05, 0.0],
    ])
    got = ctc_decode(steps, charset, keep=3)
    assert got.text == "及事"
    assert got.alts[1] == (("事", 0.44), ("率", 0.39), ("及", 0.12))
    assert abs(got.conf - (0.9 + 0.44) / 2) < 1e-9
    assert ctc_decode(np.array([[1.0, 0, 0, 0]]), charset).text == ""


def test_a_word_one_guessed_character_off_a_vocabulary_word_is_that_word() -> None:
    terms = vocabulary.ocr_terms()
    guessed = read("预障数", {1: (("障", 0.192), ("舞", 0.1), ("μ", 0.089))})
    assert lexical_look([guessed], terms)[0].text == "预算数"
    # read with more confidence, or near no word of the vocabulary: left as read
    fair = read("预障数", {1: (("障", 0.7), ("舞", 0.1))})
    other = read("单位编码", {2: (("编", 0.3), ("", 0.1))})
    assert [r.text for r in lexical_look([fair, other], terms)] == ["预障数", "单位编码"]


def test_one_word_read_twice_with_opposite_doubts_is_read_as_their_summed_weights_say() -> None:
    cell = read("脱管湍管率", {2: (("湍", 0.835), ("漏", 0.068), ("浦", 0.029))})
    prose = read("防止脱管漏管。防止发生重大舆情", {3: (("漏", 0.894), ("湍", 0.091), ("滞", 0.007))})
    got = lexical_look([cell, prose], ())
    assert got[0].text == "脱管漏管率" and got[0].first == "脱管湍管率"
    assert got[1] is prose  # already read as the vote says
    # alone, the cell's reading has nothing to weigh it against
    assert lexical_look([cell], ())[0].text == "脱管湍管率"
    # a candidate the recogniser did not weigh for this character is never taken
    blind = read("脱管湍管率", {2: (("湍", 0.835), ("浦", 0.1))})
    assert lexical_look([blind, prose], ())[0].text == "脱管湍管率"


def test_a_name_a_table_prints_on_many_rows_outvotes_a_character_the_recogniser_never_weighed() -> None:
    """5 pt print: 政府履职 on thirty rows, most read 履 with doubt, some 暖 or 瘦 with no 履
    among the candidates at all. The document's readings of the same place settle it."""
    def row(c: str, q: float, *others: tuple[str, float]) -> Reading:
        return read("02-政府" + c + "职辅助性服务", {5: ((c, q), *others)})

    rows = [row("履", 0.89, ("规", 0.07)), row("履", 0.94, ("厦", 0.01)), row("履", 0.73, ("规", 0.08)),
            row("履", 0.62, ("段", 0.22)), row("履", 0.95, ("鞭", 0.01))]
    odd = [row("暖", 0.85, ("吸", 0.08), ("段", 0.03)), row("瘦", 0.37, ("疲", 0.1), ("艘", 0.06))]
    got = lexical_look(rows + odd, ())
    assert [r.text[5] for r in got] == ["履"] * 7
    assert got[5].first == "02-政府暖职辅助性服务"
    # three readings of the place are too few to outvote the recogniser
    assert [r.text[5] for r in lexical_look(rows[:2] + odd[:1], ())] == ["履", "履", "暖"]
    # nor does a character sure enough overrule its reading, nor one that is not far outweighed
    sure = read("02-政府规职辅助性服务")
    split = [row("规", 0.9, ("履", 0.05)) for _ in range(3)]
    assert lexical_look(rows + [sure], ())[-1].text[5] == "规"
    assert [r.text[5] for r in lexical_look(rows[:3] + split + odd[:1], ())][-1] == "暖"


def test_a_word_printed_bigger_weighs_more_in_the_vote() -> None:
    """The same opposite doubts, but the paragraph's line printed at 26 pixels and the
    cell's at 17: the recogniser had more of the paragraph's character to go on."""
    cell = Reading(Band(0, 0, 80, 17), (0, 0, 90, 20), "脱管湍管率", 0.96,
                   alts=read("脱管湍管率", {2: (("湍", 0.88), ("漏", 0.05))}).alts)
    prose = Reading(Band(0, 40, 400, 66), (0, 40, 400, 70), "防止脱管漏管。", 0.96,
                    alts=read("防止脱管漏管。", {4: (("漏", 0.82), ("湍", 0.15))}).alts)
    assert [r.text for r in lexical_look([cell, prose], ())] == ["脱管漏管率", "防止脱管漏管。"]
    # printed the same size, the vote goes the other way: the height is what settles it
    level = Reading(Band(0, 40, 400, 57), prose.cell, prose.text, prose.conf, alts=prose.alts)
    assert [r.text for r in lexical_look([cell, level], ())] == ["脱管湍管率", "防止脱管湍管。"]
