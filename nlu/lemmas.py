"""Russian words to lemmas on the bot side: razdel tokens, pymorphy3 normal forms."""

from __future__ import annotations

from functools import cache, lru_cache

import pymorphy3
import razdel

from nlu.components.normalize import normalize_word


@cache
def _analyzer() -> pymorphy3.MorphAnalyzer:
    # Loads a dictionary of about 15 MB once per process.
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    word = normalize_word(word)
    if not any(ch.isalpha() for ch in word):
        return word
    return str(_analyzer().parse(word)[0].normal_form).replace("ё", "е")


def words(text: str) -> list[str]:
    """The normalised words of the text, punctuation left out."""
    return [
        normalize_word(token.text)
        for token in razdel.tokenize(text)
        if any(ch.isalnum() for ch in token.text)
    ]
