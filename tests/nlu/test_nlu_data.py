"""The Rasa project's data keeps its promises: the agreed intents, enough varied examples,
a held-out file that shares nothing with training, and an action for every intent."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from dialogs.intents import SMALL_TALK
from kernel import case_numbers
from nlu import service
from tests.support.wiring import REGISTRY

# The names other parts of the system rely on (issue 3).
INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "help", "cancel", "request_operator",
    "apply_job_search", "apply_unemployment", "apply_disability_support", "apply_psych_support",
    "book_appointment", "search_vacancies", "rank_vacancies", "confirm_interview",
    "reschedule_interview", "decline_interview", "report_interview_result", "file_complaint",
    "check_status", "ask_documents", "ask_benefits", "ask_contacts", "delete_my_data",
    "out_of_scope",
}  # fmt: skip
ENTITIES = {"profession", "city", "salary", "case_number"}
MIN_EXAMPLES = 30
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\(([^)]*)\)|\{[^}]*\})")


def training_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = defaultdict(list)
    for path in sorted((service.PROJECT / "data").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip():
                        examples[block["intent"]].append(line.strip().removeprefix("- "))
    return examples


def _plain(text: str) -> str:
    return " ".join(ANNOTATION.sub(r"\1", text).lower().replace("ё", "е").split())


def test_domain_lists_exactly_the_agreed_intents_and_entities() -> None:
    domain = yaml.safe_load((service.PROJECT / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == INTENTS
    assert set(domain["entities"]) == ENTITIES


def test_every_intent_has_enough_distinct_examples() -> None:
    examples = training_examples()
    assert set(examples) == INTENTS
    for intent, texts in examples.items():
        distinct = {_plain(text) for text in texts}
        assert len(distinct) >= MIN_EXAMPLES, (intent, len(distinct))


def test_entities_are_annotated_in_training_data() -> None:
    used = {
        match.group(2)
        for texts in training_examples().values()
        for text in texts
        for match in ANNOTATION.finditer(text)
        if match.group(2)
    }
    assert used == ENTITIES


def test_heldout_examples_are_never_trained_on() -> None:
    trained = {_plain(text) for texts in training_examples().values() for text in texts}
    heldout = service.heldout_examples()
    per_intent = Counter(intent for _, intent in heldout)
    assert set(per_intent) == INTENTS
    assert min(per_intent.values()) >= 10, per_intent
    overlap = [text for text, _ in heldout if _plain(text) in trained]
    assert overlap == []


def test_the_training_regex_finds_the_same_case_numbers_as_the_bot() -> None:
    regex_file = service.PROJECT / "data" / "regex.yml"
    block = yaml.safe_load(regex_file.read_text(encoding="utf-8"))["nlu"][0]
    pattern = re.compile(block["examples"].strip().removeprefix("- "), re.IGNORECASE)
    for text in ("Ж-2026-000123", "з2026-45", "в-2025-7", "J-2026-000001"):
        assert pattern.search(text), text
        assert case_numbers.parse(text) is not None, text


def test_every_intent_leads_somewhere() -> None:
    handled = set(REGISTRY.section_of_intent) | set(REGISTRY.answers) | set(SMALL_TALK)
    handled |= {"help", "cancel", "affirm", "deny"}  # answered by the engine itself
    assert handled == INTENTS


def test_the_keyword_file_names_only_known_intents() -> None:
    keywords = yaml.safe_load(Path(service.PROJECT / "keywords.yml").read_text("utf-8"))
    assert set(keywords) <= INTENTS


def test_rasa_falls_back_where_the_bot_stops_acting() -> None:
    """FallbackClassifier's threshold is the bot's accept_confidence: `rasa test` then counts
    as fallback exactly what the bot would not act on at once."""
    pipeline = yaml.safe_load((service.PROJECT / "config.yml").read_text("utf-8"))["pipeline"]
    fallback = next(c for c in pipeline if c["name"] == "FallbackClassifier")
    bot = yaml.safe_load((service.ROOT / "config.yml").read_text("utf-8"))["nlu"]
    assert fallback["threshold"] == bot["accept_confidence"]


def test_every_lookup_entry_is_one_line_and_unique() -> None:
    for path in sorted((service.PROJECT / "lookups").glob("*.txt")):
        entries = [
            line.strip()
            for line in path.read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert len(entries) >= 100, path
        assert len(entries) == len(set(entries)), [e for e, n in Counter(entries).items() if n > 1]
