"""A Russian tokenizer for Rasa: razdel splits the text, pymorphy3 attaches lemmas.

Rasa's whitespace tokenizer keeps "вакансии", "вакансий" and "вакансию" apart; with lemmas the
featurizers see one word "вакансия". Punctuation tokens are dropped: they carry no intent and
citizens often leave them out anyway. Russian typed on the Latin layout ("ghbdtn") and written
in Latin letters ("hochu rabotu") is read as Russian first; tokens keep the original spans.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pymorphy3
import razdel
from components.normalize import fix_layout, normalize_word, transliterated
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

_morph: pymorphy3.MorphAnalyzer | None = None


def analyser() -> pymorphy3.MorphAnalyzer:
    global _morph  # noqa: PLW0603 - one analyser per process: it loads a 15 MB dictionary
    if _morph is None:
        _morph = pymorphy3.MorphAnalyzer(lang="ru")
    return _morph


@lru_cache(maxsize=100_000)
def lemma_of(word: str) -> str:
    if not any(ch.isalpha() for ch in word):
        return word
    return str(analyser().parse(word)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=100_000)
def is_russian_word(word: str) -> bool:
    """In the dictionary, not just guessed from its ending."""
    return bool(analyser().word_is_known(word))


def words_of(text: str, read_latin: bool = True) -> list[Token]:
    """The text's word tokens with lemmas, as the pipeline sees them; `read_latin`: Russian
    on the wrong keyboard layout or in Latin letters is read as Russian."""
    fixed = fix_layout(text, is_russian_word) if read_latin else text
    tokens = []
    for piece in razdel.tokenize(fixed):
        if not any(ch.isalnum() for ch in piece.text):
            continue
        # As written: capitals and single letters ("C", "CE") stay Latin.
        word = piece.text if not read_latin else transliterated(piece.text, is_russian_word)
        word = normalize_word(word)
        tokens.append(Token(word, piece.start, piece.stop, lemma=lemma_of(word)))
    return tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class RussianTokenizer(Tokenizer):
    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None

    @staticmethod
    def required_packages() -> list[str]:
        return ["razdel", "pymorphy3"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "read_latin": True,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RussianTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        return self._apply_token_pattern(words_of(text, self._config.get("read_latin", True)))
