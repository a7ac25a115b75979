"""What the bot learns from a citizen's free text."""

from __future__ import annotations

from dataclasses import dataclass, field

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Entity:
    name: str  # profession | city | salary | case_number
    value: str  # as written, normalised where the bot knows how (lemma, digits)
    text: str  # the span the citizen wrote


@dataclass(frozen=True)
class NluResult:
    """Rasa's answer for one text. `ranking` keeps the runner-up intents with confidences,
    so a middling guess can be offered for confirmation."""

    intent: str
    confidence: float
    entities: tuple[Entity, ...] = ()
    ranking: tuple[tuple[str, float], ...] = ()

    @property
    def is_fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT

    def best_guess(self) -> tuple[str, float] | None:
        """The most likely real intent, even when the confidence was too low to accept."""
        for intent, confidence in self.ranking:
            if intent != FALLBACK_INTENT:
                return intent, confidence
        if not self.is_fallback:
            return self.intent, self.confidence
        return None


@dataclass(frozen=True)
class Understanding:
    """What the recognizer concluded. From Rasa: its best real intent and confidence (the
    engine decides whether that is enough). From the local matcher: suggestions only."""

    source: str  # "rasa" | "local"
    intent: str | None = None
    confidence: float = 0.0
    entities: tuple[Entity, ...] = ()
    suggestions: tuple[str, ...] = field(default=())  # intents, most likely first

    def entity(self, name: str) -> str | None:
        return next((e.value for e in self.entities if e.name == name), None)
