"""Words across ruling lines, overflowing text, and a scan's watermark (no PDF needed)."""

from __future__ import annotations

from extractor.read.ocr import _tilted
from extractor.read.page import Rule, Word
from extractor.read.pdf import _without_stamps
from extractor.read.split import split_at_rules

RULE = [Rule(114.92, 280.0, 114.92, 310.0)]


def test_printed_word_splits_after_the_character_the_rule_passes_through() -> None:
    """宁德 p1: '一般性支出情况' is too long for its cell; its 况 (114.3–120.9) runs under
    the rule at 114.92 and the next cell's '一般性支出情况' starts at 115.7."""
    word = Word("一般性支出情况一般性支出情况", 73.8, 292.0, 162.8, 299.6)
    lefts = [73.8, 80.6, 87.3, 94.1, 100.8, 107.6, 114.3, 115.7, 122.5, 129.2, 136.0, 142.7, 149.5, 156.2]
    edges = {word.text: lefts + [162.8]}
    got = [w.text for w in split_at_rules([word], RULE, edges=lambda w: edges.get(w.text))]
    assert got == ["一般性支出情况", "一般性支出情况"]
    # without the printed edges, the estimate cuts at the nearest edge and splits 况 off
    assert [w.text for w in split_at_rules([word], RULE)] == ["一般性支出情", "况一般性支出情况"]


def test_printed_word_with_a_character_just_right_of_the_rule_goes_right() -> None:
    word = Word("资金政府", 100.0, 292.0, 130.0, 299.6)
    edges = [100.0, 107.0, 115.5, 122.5, 130.0]  # 政 starts past the rule
    got = [(w.text, w.x0) for w in split_at_rules([word], RULE, edges=lambda w: edges)]
    assert got == [("资金", 100.0), ("政府", 115.5)]


def test_edges_that_do_not_fit_the_word_fall_back_to_the_estimate() -> None:
    word = Word("一二三四", 100.0, 292.0, 130.0, 299.6)
    got = [w.text for w in split_at_rules([word], RULE, edges=lambda w: [100.0, 130.0])]
    assert got == ["一二", "三四"]


def test_watermark_characters_read_one_at_a_time_are_dropped() -> None:
    words = [Word(f"{n}.00", 100, 10 * n, 130, 10 * n + 14, ocr=True) for n in range(1, 9)]
    stamp = [Word("内", 400, 400, 450, 433, ocr=True), Word("申", 450, 386, 480, 413, ocr=True)]
    title = Word("2024年预算收入总表", 200, 40, 400, 62, ocr=True)  # big but long: kept
    assert _without_stamps(words + stamp + [title]) == words + [title]
    cover = [Word(c, 100 + 40 * i, 300, 132 + 40 * i, 352, ocr=True) for i, c in enumerate("部门预算公开")]
    assert _without_stamps(cover) == cover  # a page of big letters only: nothing stands out


def test_text_at_an_angle_is_not_a_cells() -> None:
    assert _tilted([(190, 1938), (659, 1679), (716, 1783), (246, 2041)])  # "仅供内部审核" at -29°
    assert not _tilted([(1449, 414), (1520, 414), (1520, 455), (1449, 455)])
    assert not _tilted([(779, 2224), (846, 2228), (844, 2275), (777, 2271)])  # 3° skew: kept


def test_a_cells_heading_in_bigger_print_is_kept_and_a_loose_big_character_is_not() -> None:
    words = [Word(f"{n}.00", 100, 10 * n, 130, 10 * n + 14, ocr=True) for n in range(1, 9)]
    heading = Word("金额", 300, 0, 330, 23, ocr=True)  # 1.6 times the body's height, in its cell
    stamp = Word("申", 450, 386, 480, 413, ocr=True)
    got = _without_stamps([*words, heading, stamp], [False] * 8 + [True, False])
    assert got == [*words, heading]
