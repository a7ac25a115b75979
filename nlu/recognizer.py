"""Rasa first, the local matcher when Rasa is down or unsure. This is what the engine calls."""

from __future__ import annotations

from kernel import case_numbers
from kernel.settings import NluSettings
from nlu.client import CircuitBreaker, NluClient, NluUnavailable
from nlu.entities import normalized
from nlu.local_matcher import LocalMatcher
from nlu.results import Entity, NluResult, Understanding


class Recognizer:
    def __init__(self, client: NluClient | None, matcher: LocalMatcher) -> None:
        self._client = client
        self._matcher = matcher

    async def understand(self, text: str) -> Understanding:
        result = await self._rasa(text)
        if result is None:
            return Understanding(
                "local", entities=_local_entities(text), suggestions=self._matcher.suggest(text)
            )
        guess = result.best_guess()
        return Understanding(
            "rasa",
            intent=guess[0] if guess else None,
            confidence=guess[1] if guess else 0.0,
            entities=tuple(normalized(entity) for entity in result.entities),
            suggestions=self._matcher.suggest(text) if result.is_fallback else (),
        )

    async def _rasa(self, text: str) -> NluResult | None:
        if self._client is None:
            return None
        try:
            return await self._client.parse(text)
        except NluUnavailable:
            return None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


def _local_entities(text: str) -> tuple[Entity, ...]:
    """Without Rasa the bot still reads the one entity a pattern can find."""
    found = case_numbers.search(text)
    if found is None:
        return ()
    written, number = found
    return (Entity("case_number", number, written),)


def recognizer_from(settings: NluSettings) -> Recognizer:
    """Rasa through the client when enabled; the local matcher behind it either way."""
    client = None
    if settings.enabled:
        client = NluClient(
            settings.url,
            settings.token.get_secret_value() if settings.token else None,
            timeout_seconds=settings.timeout_seconds,
            max_text_chars=settings.max_text_chars,
            breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds),
        )
    return Recognizer(client, LocalMatcher.from_file())
