"""A second look at doubtful characters, against the words the document and the domain print.

The recogniser weighs several characters for each one it reads (`Reading.alts`): where
it hesitates, the right one is usually among them (率 read 事 with 率 a close second; 顾
read 殿 with 顾 third). A word the document prints twice may be read with opposite doubts
(湍 0.84 / 漏 0.07 in a cell, 漏 0.89 / 湍 0.09 in a paragraph): a doubtful character is
first read as the candidate that the readings of the same place weigh most, summed
(`voted`); where the document reads a place many times over (a name on thirty rows of 5 pt
print), the character that far outweighs all others there, weighed for this one or not.
Then a doubtful character is replaced by one of its candidates when the candidate makes
the text around it a word the document prints elsewhere, read
without doubt, or a word of the domain's vocabulary (`vocabulary.ocr_terms`), and the
character as read does not. Only Chinese characters are replaced by Chinese characters,
numerals neither (表二, 二、), and Chinese marks by marks (二十八。→ 二十八、): figures are
left to the reconciler, which proves them by arithmetic. A speck read beside a label
(`1一般公共预算拨款收入`, `教育支出一`) is dropped the same way. What was read stays in
`first`, so the record says what the page showed (`second_look:<field>:<first>`).

Pure: readings in, readings out.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from extractor.read.cellocr import CJK, Reading
from extractor.read.ocr import Candidates

DOUBT = 0.99  # a character read below this probability is doubtful
ATTEST = DOUBT  # a character read at this probability or more attests the runs it is in
GUESS = 0.5  # a character read below this probability is a guess
FLOOR = 0.01  # a candidate weighed below this is not one
SURE_LINE = 0.9  # a line without candidates counts as read surely at this confidence
GRAMS = (2, 3, 4)  # the lengths of text around a character that must be attested
TERM_WEIGHT = 3  # a vocabulary word counts as this many sure sightings in the document
PLACE_READS = 4  # a place (`_contexts`) read this often or more can outvote the recogniser (`_consensus`)
PLACE_WEIGHT = 3.0  # ... by a character weighed this much there, summed over the readings,
PLACE_MARGIN = 3.0  # ... and this many times as much as the character as read

# Chinese characters, less the numerals: 表二 and 表三, 一、 and 二、 are figures, not words.
_HAN = re.compile(r"(?![一二三四五六七八九十百千万亿零〇])[\u4e00-\u9fff]")
_PUNCT = re.compile(r"[、。，：；]")  # a list's marks, one for another (二十八。→ 二十八、); never "." or ","
_SPECK = re.compile(r"[0-9A-Za-z一二三]")  # what a speck or a stroke of dust is read as


def _sure(r: Reading) -> list[bool]:
    if r.alts and len(r.alts) == len(r.text):
        return [a[0][1] >= ATTEST for a in r.alts]
    return [r.conf >= SURE_LINE] * len(r.text)


def attested(readings: Sequence[Reading], terms: Iterable[str], printed: Iterable[str] = ()) -> Counter[str]:
    """How often each run of 2–4 characters is printed surely: in the readings (runs with no
    doubtful character), in text the document carries as text (`printed`), and in the
    vocabulary's `terms` (each worth `TERM_WEIGHT`)."""
    counts: Counter[str] = Counter()

    def add(text: str, sure: list[bool], weight: int = 1) -> None:
        for n in GRAMS:
            for i in range(len(text) - n + 1):
                if all(sure[i : i + n]):
                    counts[text[i : i + n]] += weight

    for r in readings:
        add(r.text, _sure(r))
    for text in printed:
        add(text, [True] * len(text))
    for t in terms:
        add(t, [True] * len(t), TERM_WEIGHT)
    return counts


def _support(text: str, i: int, counts: Counter[str]) -> tuple[int, float]:
    """How well the text through character `i` is attested: the longest attested run of 2–4
    characters through it, then how often runs through it are attested (longer weigh more)."""
    longest, total = 0, 0.0
    for n in GRAMS:
        for s in range(max(0, i - n + 1), min(i, len(text) - n) + 1):
            c = counts.get(text[s : s + n], 0)
            if c:
                longest = max(longest, n)
                total += (n - 1) * math.log1p(c)
    return longest, total


def reread(r: Reading, counts: Counter[str], words: frozenset[str] = frozenset()) -> Reading:
    """`r` with each doubtful Chinese character replaced by a candidate through which a
    longer run of text is attested than through the character as read (at least three
    characters, or the whole of a shorter text); among such candidates the most attested.
    A text that stays one character read as a guess (`GUESS`) off exactly one of `words`
    (the vocabulary's words of three characters or more) is that word: the recogniser did
    not weigh the right character at all (预障数 for 预算数). The document's own words are
    not used so: 000 prints 单位代码 and 单位编码 both."""
    if not r.alts or len(r.alts) != len(r.text):
        return r
    text = list(r.text)
    for i, cands in enumerate(r.alts):
        kind = _HAN if _HAN.fullmatch(text[i]) else _PUNCT if _PUNCT.fullmatch(text[i]) else None
        if cands[0][1] >= DOUBT or kind is None:
            continue
        here = _support("".join(text), i, counts)
        need = max(here[0] + 1, min(3, len(text)))
        best, score = None, here
        for c, q in cands[1:]:
            if q < FLOOR or not kind.fullmatch(c or "-"):
                continue
            s = _support("".join(text[:i]) + c + "".join(text[i + 1 :]), i, counts)
            if s[0] >= need and s > score:
                best, score = c, s
        if best is not None:
            text[i] = best
    text = _trimmed(text, r.alts, counts)
    if len(text) == len(r.alts) and "".join(text) not in words:
        text = _word(text, r.alts, words)
    new = "".join(text)
    return r if new == r.text else replace(r, text=new, first=r.first or r.text)


def _word(text: list[str], alts: Sequence[Candidates], words: frozenset[str]) -> list[str]:
    """The one word of `words` that `text` is, but for one guessed character; else `text`."""
    doubtful = [i for i, a in enumerate(alts) if a[0][1] < GUESS and _HAN.fullmatch(text[i])]
    if len(text) < 3 or not doubtful:
        return text
    near = {w for i in doubtful for w in words
            if len(w) == len(text) and _HAN.fullmatch(w[i]) and w[:i] == "".join(text[:i])
            and w[i + 1 :] == "".join(text[i + 1 :])}
    return list(near.pop()) if len(near) == 1 else text


def _trimmed(text: list[str], alts: Sequence[Candidates], counts: Counter[str]) -> list[str]:
    """A doubtful character at either end of a label dropped, where it is a speck read
    beside the words ("1一般公共预算拨款收入", "教育支出一", "金额三"): no attested run
    holds it, and the words it sits against are attested (three characters, or a whole
    word of two)."""
    for end in (0, -1):
        if len(text) < 3 or alts[end][0][1] >= DOUBT or not _SPECK.fullmatch(text[end]):
            continue
        rest = text[1:] if end == 0 else text[:-1]
        inner = rest[0] if end == 0 else rest[-1]
        if not CJK.fullmatch(inner) or _support("".join(text), 0 if end == 0 else len(text) - 1, counts)[0]:
            continue
        words = "".join(rest)
        edge = words[:3] if end == 0 else words[-3:]
        if counts.get(edge, 0) or (len(words) == 2 and counts.get(words, 0)):
            text = rest
            alts = alts[1:] if end == 0 else alts[:-1]
    return text


def _contexts(text: str, i: int) -> list[tuple[str, str, str]]:
    """The places character `i` stands in: two characters before and one after, one before
    and two after."""
    out = []
    if i >= 2 and i + 1 < len(text):
        out.append(("<", text[i - 2 : i], text[i + 1]))
    if i >= 1 and i + 3 <= len(text):
        out.append((">", text[i - 1], text[i + 1 : i + 3]))
    return out


def votes(readings: Sequence[Reading]) -> dict[tuple[str, str, str], tuple[int, Counter[str]]]:
    """For each place a Chinese character is read in (`_contexts`): how many times the
    document reads a character there, and the probability the recogniser gave each
    candidate, summed over those readings, each weighed by its line's height against the
    document's usual one: the recogniser scales every line to one height, and a line
    printed bigger (a paragraph's 漏 at 26 pixels against a table cell's 湍 at 17) gives it
    more of each character to go on."""
    usual = statistics.median([r.band.height for r in readings if r.alts] or [1]) or 1
    out: dict[tuple[str, str, str], tuple[int, Counter[str]]] = {}
    for r in readings:
        if not r.alts or len(r.alts) != len(r.text):
            continue
        size = max(1, r.band.height) / usual
        for i, cands in enumerate(r.alts):
            if not _HAN.fullmatch(r.text[i]):
                continue
            for key in _contexts(r.text, i):
                n, weights = out.get(key, (0, Counter()))
                for c, q in cands:
                    if q >= FLOOR and _HAN.fullmatch(c or "-"):
                        weights[c] += q * size
                out[key] = (n + 1, weights)
    return out


def voted(r: Reading, ballots: dict[tuple[str, str, str], tuple[int, Counter[str]]]) -> Reading:
    """`r` with each doubtful Chinese character read as the candidate the document's readings
    of the same place weigh most, summed: one word read twice, 湍 (0.84, 漏 0.07) in a cell
    and 漏 (0.89, 湍 0.09) in a paragraph, is 漏 in both. Only where the place is read twice
    or more, and only for a candidate the recogniser weighed for this character; but where
    the document reads a place many times and one character there far outweighs all others
    (`_consensus`), that character, weighed or not."""
    if not r.alts or len(r.alts) != len(r.text):
        return r
    text = list(r.text)
    for i, cands in enumerate(r.alts):
        if cands[0][1] >= DOUBT or not _HAN.fullmatch(text[i]):
            continue
        agreed = _consensus(r.text, i, ballots)
        if agreed:
            text[i] = agreed
            continue
        own = [c for c, q in cands if q >= FLOOR]  # in the recogniser's order: a tie goes the same way every run
        for key in _contexts(r.text, i):
            n, weights = ballots.get(key, (0, Counter()))
            if n < 2:
                continue
            best = max(own, key=lambda c: (weights.get(c, 0.0), c == text[i]))
            if best != text[i] and weights[best] > weights.get(text[i], 0.0):
                text[i] = best
                break
    new = "".join(text)
    return r if new == r.text else replace(r, text=new, first=r.first or r.text)


def _consensus(text: str, i: int, ballots: dict[tuple[str, str, str], tuple[int, Counter[str]]]) -> str | None:
    """The character the document reads, far more than any other, in each place character
    `i` stands in (`_contexts`, both where there are two), each place read `PLACE_READS`
    times or more: a name a table prints on thirty rows in 5 pt type (政府履职 read 暖, 瘦,
    腹 where the recogniser weighed no 履 at all). None where the places disagree, or the
    character as read is not far outweighed there."""
    won = set()
    for key in _contexts(text, i):
        n, weights = ballots.get(key, (0, Counter()))
        if n < PLACE_READS or not weights:
            return None
        best, weight = min(weights.items(), key=lambda cw: (-cw[1], cw[0]))
        if weight < PLACE_WEIGHT or weight < PLACE_MARGIN * weights.get(text[i], 0.0):
            return None
        won.add(best)
    return won.pop() if len(won) == 1 else None


def lexical_look(readings: Sequence[Reading], terms: Iterable[str], printed: Iterable[str] = ()) -> list[Reading]:
    """A document's readings after its doubtful characters got a second look: against the
    other readings of the same place (`voted`), then against what the document prints
    surely and the vocabulary's `terms` (`reread`)."""
    terms = list(terms)
    ballots = votes(readings)
    readings = [voted(r, ballots) for r in readings]
    counts = attested(readings, terms, printed)
    words = frozenset(t for t in terms if len(t) >= 3)
    return [reread(r, counts, words) for r in readings]
