"""Professions, towns and wished pay found by rule, not learned: DIET found professions with
F1 0.32 in cross-validation, because every fold held professions it had never seen.

Professions and towns come from the lookup lists in nlu/lookups/ and are matched by lemma
("водителем", "в самаре"), the longest phrase first, and with one typo in a word of six or
more letters ("водитля"). Pay is a number of roubles (at least 1000, or with "тыс"). They are
looked for only in messages whose intent uses them (the vacancy search; towns also in a
question about the centre's address), so "позовите оператора" names no profession. The
lists are read at training time and kept in the model. An entity's value is the entry as the
list writes it ("водитель" for "водитля"), its span what the citizen wrote.
"""

from __future__ import annotations

import itertools
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from components.russian_tokenizer import analyser, is_russian_word, words_of
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_FILE = "lookups.json"
_MAX_WORDS = 4
_FUZZY_LENGTH = 6
_AMOUNT = re.compile(
    r"(?<![\w-])(\d{1,3}(?:[ \u00a0]\d{3})+|\d+)(?:[.,]\d+)?(\s*(?:тыс\w*|т\.|к|k)(?!\w))?",
    re.IGNORECASE,
)


_MAX_READINGS = 16


@lru_cache(maxsize=100_000)
def lemmas_of(word: str) -> tuple[str, ...]:
    """Every dictionary form the word may be of: "отрадном" is of "отрадное" or "отрадный"."""
    if not word.replace("-", "").isalpha():
        return (word,)
    forms = dict.fromkeys(p.normal_form.replace("ё", "е") for p in analyser().parse(word))
    return tuple(forms)


@lru_cache(maxsize=10_000)
def forms_of(word: str) -> tuple[str, ...]:
    """Every case and number of a dictionary word: "водитель", "водителя", "водителем"…"""
    forms = {f.word.replace("ё", "е") for p in analyser().parse(word)[:1] for f in p.lexeme}
    return tuple(sorted(forms | {word}))


def phrase_keys(words: list[str]) -> set[str]:
    """The lemma phrases a run of words may stand for."""
    readings = itertools.product(*(lemmas_of(word) for word in words))
    return {" ".join(reading) for reading in itertools.islice(readings, _MAX_READINGS)}


def deletions(word: str) -> set[str]:
    """The word with one letter left out, and the word itself: two words one edit apart
    always share one of these (SymSpell's trick); sharing one is checked by `one_edit_apart`."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit_apart(a: str, b: str) -> bool:
    """At most one letter added, left out, changed, or two neighbours swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) == len(b):
        if a[start + 1 :] == b[start + 1 :]:
            return True  # one letter changed
        swapped = b[start + 1 : start + 2] + b[start : start + 1]
        return a[start : start + 2] == swapped and a[start + 2 :] == b[start + 2 :]
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LemmaLookupExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "lookups": {"profession": "lookups/professions.txt", "city": "lookups/towns.txt"},
            "salary_entity": "salary",
            # which intents' messages each entity is looked for in
            "intents": {
                "profession": ["search_vacancies"],
                "salary": ["search_vacancies"],
                "city": ["search_vacancies", "ask_contacts"],
            },
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        phrases: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._index(phrases or {})

    def _index(self, phrases: dict[str, dict[str, str]]) -> None:
        """`phrases`: entity -> lemma phrase -> the entry as the list writes it."""
        self._exact = {
            key: (name, entry) for name, keys in phrases.items() for key, entry in keys.items()
        }
        self._near: dict[str, set[tuple[str, str, str]]] = {}
        for name, keys in phrases.items():
            for key, entry in keys.items():
                if " " not in key and len(key) >= _FUZZY_LENGTH:
                    for form in forms_of(key):
                        for variant in deletions(form):
                            self._near.setdefault(variant, set()).add((name, entry, form))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LemmaLookupExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LemmaLookupExtractor:
        with model_storage.read_from(resource) as directory:
            phrases = json.loads((Path(directory) / _FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, phrases)

    def train(self, training_data: TrainingData) -> Resource:
        phrases = {}
        for name, path in self._config["lookups"].items():
            lines = Path(path).read_text(encoding="utf-8").splitlines()
            entries = [line.strip() for line in lines if line.strip() and line[0] != "#"]
            phrases[name] = {
                key: entry for entry in entries for key in phrase_keys(_words(entry)) if key
            }
        self._index(phrases)
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / _FILE).write_text(json.dumps(phrases, ensure_ascii=False))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            wanted = {
                name for name, intents in self._config["intents"].items() if intent in intents
            }
            if not wanted:
                continue
            found = [e for e in self.entities_of(message.get(TEXT) or "") if e["entity"] in wanted]
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def entities_of(self, text: str) -> list[dict[str, Any]]:
        tokens = words_of(text)
        found = self._phrases_in(tokens)
        taken = [(e["start"], e["end"]) for e in found]
        if self._config["salary_entity"]:
            found += self._amounts_in(text, taken)
        return sorted(found, key=lambda entity: int(entity["start"]))

    def _phrases_in(self, tokens: list[Token]) -> list[dict[str, Any]]:
        found = []
        position = 0
        while position < len(tokens):
            match = self._longest_at(tokens, position)
            if match is None:
                position += 1
                continue
            (name, entry), length = match
            start, end = tokens[position].start, tokens[position + length - 1].end
            found.append(_entity(name, start, end, entry))
            position += length
        return found

    def _longest_at(
        self, tokens: list[Token], position: int
    ) -> tuple[tuple[str, str], int] | None:
        for length in range(min(_MAX_WORDS, len(tokens) - position), 0, -1):
            run = [token.text for token in tokens[position : position + length]]
            for key in phrase_keys(run):
                if key in self._exact:
                    return self._exact[key], length
        return self._near_word(tokens[position])

    def _near_word(self, token: Token) -> tuple[tuple[str, str], int] | None:
        """A one-word entry one typo away from a word the dictionary does not know: the word
        read as a form of the entry ("водитля" is one letter from "водителя"). A real word
        ("просто", one deletion each way from "ростов") is never taken for a typo."""
        word = token.text
        if len(word) < _FUZZY_LENGTH or not word.isalpha() or is_russian_word(word):
            return None
        candidates = {
            (name, entry)
            for variant in deletions(word)
            for name, entry, form in self._near.get(variant, ())
            if one_edit_apart(word, form)
        }
        return (next(iter(candidates)), 1) if len(candidates) == 1 else None

    def _amounts_in(self, text: str, taken: list[tuple[int, int]]) -> list[dict[str, Any]]:
        found = []
        for match in _AMOUNT.finditer(text):
            start, end = match.start(), match.end()
            if any(s < end and start < e for s, e in taken):
                continue
            amount = float(re.sub(r"\s", "", match.group(1)))
            if match.group(2):
                amount *= 1000
            if amount >= 1000 and not _is_year(text, end):
                found.append(_entity(self._config["salary_entity"], start, end, text[start:end]))
        return found


def _words(text: str) -> list[str]:
    return [token.text for token in words_of(text)]


def _is_year(text: str, end: int) -> bool:
    return bool(re.match(r"\s*(г\.|год)", text[end:], re.IGNORECASE))


def _entity(name: str, start: int, end: int, value: str) -> dict[str, Any]:
    """`value`: the list's entry ("водитель" for "водитля"); the span keeps what was written."""
    return {"entity": name, "start": start, "end": end, "value": value}
