"""Guesses what a citizen wants when Rasa cannot say: keywords over lemmas, with fuzzy matching
for typos ("жалобв", "вакансй"). It only proposes sections; the citizen picks one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from nlu.lemmas import lemma, words

KEYWORDS_FILE = Path(__file__).with_name("keywords.yml")
# Below this similarity (0-100) a word is not taken for a keyword. 80 lets one wrong letter
# through in words of five letters or more.
FUZZY_CUTOFF = 80
# Words this short must match exactly: one letter changes their meaning.
EXACT_MAX_LEN = 4


@dataclass(frozen=True)
class Keyword:
    intent: str
    lemmas: tuple[str, ...]
    weight: int


class LocalMatcher:
    def __init__(self, keywords: Sequence[Keyword]) -> None:
        self._keywords = tuple(keywords)

    @classmethod
    def from_file(cls, path: Path = KEYWORDS_FILE) -> LocalMatcher:
        return cls(load_keywords(yaml.safe_load(path.read_text(encoding="utf-8"))))

    def suggest(self, text: str, limit: int = 3) -> tuple[str, ...]:
        """Intents that the text points to, most likely first; empty when nothing fits."""
        written = words(text)
        candidates = set(written) | {lemma(word) for word in written}
        if not candidates:
            return ()
        scores: dict[str, int] = {}
        for keyword in self._keywords:
            if all(_occurs(part, candidates) for part in keyword.lemmas):
                scores[keyword.intent] = scores.get(keyword.intent, 0) + keyword.weight
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return tuple(intent for intent, _score in ranked[:limit])


def _occurs(keyword: str, candidates: set[str]) -> bool:
    if keyword in candidates:
        return True
    if len(keyword) <= EXACT_MAX_LEN:
        return False
    return (
        process.extractOne(keyword, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        is not None
    )


def load_keywords(data: Mapping[str, Mapping[int, Sequence[str]]]) -> list[Keyword]:
    keywords = []
    for intent, by_weight in data.items():
        for weight, phrases in by_weight.items():
            for phrase in phrases:
                keywords.append(Keyword(intent, tuple(phrase.split()), int(weight)))
    return keywords
