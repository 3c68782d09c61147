"""The Ministry of Education list of universities, matched by exact name and searched for near names.

Names are compared by a key that ignores what users commonly vary: traditional characters (大學),
full-width letters and digits, `()` against `（）`, dash variants, whitespace and Latin letter case.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Iterable

from opencc import OpenCC
from rapidfuzz import fuzz, process

from dialogs.normalize import normalize_reply, remove_whitespace

# Dashes people type between the two halves of 北京师范大学-香港浸会大学联合国际学院.
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63]")

# Words that nearly every name contains. A query made only of these names no particular university.
_GENERIC_WORDS = re.compile("大学|学院|学校|高等|专科|职业|技术|科技|中国|高校|成人|分校|校区")

# A name must score at least this much (0–100) against the query to be suggested. With the scorer
# below, one shared character in a short query stays under it (你好大学 against 河北大学 scores 50).
SUGGEST_CUTOFF = 60.0

# A partial ratio counts only from this score up. rapidfuzz aligns a short query with the start of a
# name, so a two-character query that shares only its first character scores 66.7 (随便 against
# 随州职业技术学院).
PARTIAL_CUTOFF = 75.0

# Bonuses (added to the fuzzy score) for a name that starts with the query, contains it, or contains
# its characters in order with the same first character. They rank 中国矿业大学（北京） first for
# 矿业大学（北京） and 北京大学 before 河北大学 for 北大.
_PREFIX_BONUS = 30.0
_ABBREVIATION_BONUS = 22.0
_CONTAINMENT_BONUS = 20.0


@functools.cache
def _traditional_to_simplified() -> OpenCC:
    # Loading the OpenCC dictionaries takes a few milliseconds, so it happens on first use only.
    return OpenCC("t2s")


def university_key(text: str) -> str:
    """Return the comparison key of a university name: simplified, NFKC, no spaces, one dash, case-folded."""
    text = normalize_reply(text)
    text = _DASHES.sub("-", text)
    text = remove_whitespace(text)
    text = _traditional_to_simplified().convert(text)
    return text.casefold()


def _partial_scale(query_length: int, name_length: int) -> float:
    """Return the weight of a partial ratio: none for similar lengths, less for very different ones."""
    longer, shorter = max(query_length, name_length), min(query_length, name_length)
    if longer < 1.5 * shorter:
        return 0.0
    return 0.9 if longer <= 8 * shorter else 0.6


def _is_subsequence(short: str, long: str) -> bool:
    remaining = iter(long)
    return all(char in remaining for char in short)


ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "北大": ("北京大学",), "清华": ("清华大学",), "人大": ("中国人民大学",), "人民大学": ("中国人民大学",),
    "北师大": ("北京师范大学",), "北航": ("北京航空航天大学",), "北理工": ("北京理工大学",),
    "北邮": ("北京邮电大学",), "复旦": ("复旦大学",), "上交": ("上海交通大学",), "上海交大": ("上海交通大学",),
    "同济": ("同济大学",), "华师大": ("华东师范大学",), "华东师大": ("华东师范大学",), "浙大": ("浙江大学",),
    "南大": ("南京大学",), "东南": ("东南大学",), "中科大": ("中国科学技术大学",), "科大": ("中国科学技术大学",),
    "武大": ("武汉大学",), "华科": ("华中科技大学",), "华中大": ("华中科技大学",), "中大": ("中山大学",),
    "华工": ("华南理工大学",), "华南理工": ("华南理工大学",), "川大": ("四川大学",), "电子科大": ("电子科技大学",),
    "西交": ("西安交通大学",), "西安交大": ("西安交通大学",), "哈工大": ("哈尔滨工业大学",), "吉大": ("吉林大学",),
    "山大": ("山东大学",), "南开": ("南开大学",), "天大": ("天津大学",), "厦大": ("厦门大学",),
    "中南": ("中南大学",), "湖大": ("湖南大学",), "重大": ("重庆大学",), "兰大": ("兰州大学",),
    "西工大": ("西北工业大学",), "大工": ("大连理工大学",), "东北大": ("东北大学",), "北外": ("北京外国语大学",),
    "上外": ("上海外国语大学",), "央财": ("中央财经大学",), "上财": ("上海财经大学",), "贸大": ("对外经济贸易大学",),
    "法大": ("中国政法大学",), "北交": ("北京交通大学",), "北科": ("北京科技大学",), "农大": ("中国农业大学",),
    "民大": ("中央民族大学",), "中传": ("中国传媒大学",), "国科大": ("中国科学院大学",),
}
"""Common abbreviations and the official names suggested for them (a passcode must use the official name)."""


class UniversityCatalogue:
    """An in-memory list of universities that implements the `Catalogue` protocol of the field types.

    `match` is a dictionary lookup. `suggest` scores every name with rapidfuzz's C++ scorers plus one
    Python pass for containment, a few milliseconds for the 3,167 names of the 2025 list.
    """

    def __init__(self, records: Iterable[tuple[str, str]]) -> None:
        """Index `(code, official name)` pairs; two names with the same key raise ValueError."""
        self._by_key: dict[str, tuple[str, str]] = {}
        self._keys: list[str] = []
        self._names: list[str] = []
        self._distinctive: list[set[str]] = []
        for code, name in records:
            key = university_key(name)
            if key in self._by_key:
                raise ValueError(f"university names {self._by_key[key][1]!r} and {name!r} share the key {key!r}")
            self._by_key[key] = (code, name)
            self._keys.append(key)
            self._names.append(name)
            self._distinctive.append(set(_GENERIC_WORDS.sub("", key)))

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> UniversityCatalogue:
        """Read a CSV file whose header starts with `code,name` (the format of store/data/universities.csv)."""
        with open(path, encoding="utf-8", newline="") as file:
            rows = csv.DictReader(file)
            return cls((row["code"], row["name"]) for row in rows)

    def __len__(self) -> int:
        return len(self._keys)

    def match(self, text: str) -> tuple[str, str] | None:
        """Return (code, official name) of the university whose key equals the key of `text`, or None."""
        return self._by_key.get(university_key(text))

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Return up to `limit` official names close to `text`, best first; an unrelated text gets none.

        A name scores the best of its rapidfuzz ratio and partial ratio, the latter only when the
        lengths differ and then scaled down. A name that starts with the query, contains it, or
        contains its characters in order with the same first character (北大 in 北京大学) gets a
        bonus. Queries made only of generic words such as 大学 or 职业技术学院 get no suggestions.
        """
        query = university_key(text)
        aliased = [name for name in ABBREVIATIONS.get(query, ()) if university_key(name) in self._by_key]
        if not _GENERIC_WORDS.sub("", query):
            return aliased[:limit]

        scores = self._fuzzy_scores(query)
        if len(query) >= 2:
            self._add_containment_bonus(query, scores)
        # A name must share a character with the query outside the generic words, so that
        # abcdefg大学 does not suggest 北京大学.
        distinctive = set(_GENERIC_WORDS.sub("", query))
        scores = {index: score for index, score in scores.items() if distinctive & self._distinctive[index]}

        ranked = sorted(scores.items(), key=lambda item: (-item[1], len(self._keys[item[0]]), item[0]))
        names = aliased + [self._names[index] for index, _ in ranked if self._names[index] not in aliased]
        return names[:limit]

    def _fuzzy_scores(self, query: str) -> dict[int, float]:
        # The same combination as rapidfuzz's WRatio without its token-based scorers. Those took about
        # 2.5 ms per call on the 2025 list and mean nothing for names without spaces.
        scores: dict[int, float] = {}
        for _, score, index in process.extract(
            query, self._keys, scorer=fuzz.ratio, processor=None, limit=None, score_cutoff=SUGGEST_CUTOFF
        ):
            scores[index] = score
        for _, score, index in process.extract(
            query, self._keys, scorer=fuzz.partial_ratio, processor=None, limit=None, score_cutoff=PARTIAL_CUTOFF
        ):
            scaled = score * _partial_scale(len(query), len(self._keys[index]))
            if scaled >= SUGGEST_CUTOFF and scaled > scores.get(index, 0.0):
                scores[index] = scaled
        return scores

    def _add_containment_bonus(self, query: str, scores: dict[int, float]) -> None:
        # The bonus replaces the partial ratio, which is 100 for any name containing the query and
        # would rank 河北大学 (contains 北大) before 北京大学 (abbreviated as 北大).
        for index, key in enumerate(self._keys):
            if key.startswith(query):
                bonus = _PREFIX_BONUS
            elif query in key:
                bonus = _CONTAINMENT_BONUS
            elif key[0] == query[0] and _is_subsequence(query, key):
                bonus = _ABBREVIATION_BONUS
            else:
                continue
            scores[index] = fuzz.ratio(query, key) + bonus
