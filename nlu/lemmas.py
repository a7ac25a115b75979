"""Russian words to lemmas on the bot side: razdel tokens, pymorphy3 normal forms."""

from __future__ import annotations

from functools import cache, lru_cache

import pymorphy3
import razdel

from nlu.components.normalize import fix_layout, normalize_word, transliterated


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


def nominative(text: str) -> str:
    """The text with its first word in the nominative when it is a noun in another case:
    «водителем» -> «водитель», «водителя категории C» -> «водитель категории C». The rest is
    left as typed: it depends on the first word."""
    head, space, rest = text.partition(" ")
    parsed = _analyzer().parse(head.lower())[0]
    if "NOUN" not in parsed.tag or parsed.tag.case in (None, "nomn"):
        return text
    inflected = parsed.inflect({"nomn"})
    if inflected is None:
        return text
    word = str(inflected.word)
    if head[:1].isupper():
        word = word[:1].upper() + word[1:]
    return word + space + rest


@lru_cache(maxsize=50_000)
def is_russian_word(word: str) -> bool:
    return bool(_analyzer().word_is_known(word))


def words(text: str) -> list[str]:
    """The normalised words of the text, punctuation left out; Russian typed on the Latin
    layout or in Latin letters read as Russian, as the Rasa tokenizer reads it."""
    return [
        normalize_word(transliterated(token.text, is_russian_word))
        for token in razdel.tokenize(fix_layout(text, is_russian_word))
        if any(ch.isalnum() for ch in token.text)
    ]
