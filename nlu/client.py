"""The bot's client for Rasa's `/model/parse`.

Rasa is a separate process that may be starting, restarting or stuck. The client never makes a
citizen wait long for it: a short timeout, and a circuit breaker that stops calling a failing
server for a while, so that each message is answered from the local fallback at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from nlu.results import Entity, NluResult

log = logging.getLogger(__name__)


class NluUnavailable(Exception):  # noqa: N818 - a state of the service, not a bug
    """Rasa did not answer usefully; the caller falls back to local matching."""


class CircuitBreaker:
    """Closed: calls go through. After `failure_threshold` failures in a row it opens and calls
    are refused for `reset_seconds`; then one trial call decides whether it closes again."""

    def __init__(
        self,
        failure_threshold: int = 3,
        reset_seconds: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._reset_seconds:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        if self._opened_at is not None:
            log.info("NLU service answers again; circuit closed")
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def release_trial(self) -> None:
        """A call ended with no verdict (it was cancelled): let the next one try."""
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        was_trial = self._trial_in_flight
        self._trial_in_flight = False
        if was_trial or self._failures >= self._threshold:
            if self._opened_at is None or was_trial:
                log.warning(
                    "NLU service unavailable; answering locally for %ss", self._reset_seconds
                )
            self._opened_at = self._clock()


class NluClient:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout_seconds: float = 2.0,
        max_text_chars: int = 500,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._url = url.rstrip("/") + "/model/parse"
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._max_text_chars = max_text_chars
        self.breaker = breaker or CircuitBreaker()
        self._session: aiohttp.ClientSession | None = None

    async def parse(self, text: str) -> NluResult:
        """Rasa's reading of the text; raises NluUnavailable instead of waiting or failing."""
        if not self.breaker.allow():
            raise NluUnavailable("circuit open")
        # Intent lives in the first sentences; a long letter would only slow Rasa down.
        text = text[: self._max_text_chars]
        try:
            body = await self._post({"text": text})
            result = _to_result(body)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as error:
            self.breaker.record_failure()
            raise NluUnavailable(str(error) or type(error).__name__) from error
        except BaseException:
            # Cancelled mid-call: no verdict on the server, but a trial slot must not stay
            # taken, or the breaker would never ask Rasa again until restart.
            self.breaker.release_trial()
            raise
        self.breaker.record_success()
        return result

    async def _post(self, payload: dict[str, str]) -> Any:
        session = self._session
        if session is None or session.closed:
            session = self._session = aiohttp.ClientSession(timeout=self._timeout)
        params = {"token": self._token} if self._token else None
        async with asyncio.timeout(self._timeout.total):
            async with session.post(self._url, json=payload, params=params) as response:
                if response.status != 200:
                    raise aiohttp.ClientResponseError(
                        response.request_info, (), status=response.status
                    )
                return await response.json()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _to_result(body: Any) -> NluResult:
    intent = body["intent"]
    entities = tuple(
        Entity(name=str(e["entity"]), value=str(e["value"]), text=_span(body, e))
        for e in body.get("entities", [])
    )
    ranking = tuple(
        (str(item["name"]), float(item["confidence"])) for item in body.get("intent_ranking", [])
    )
    return NluResult(
        intent=str(intent["name"]),
        confidence=float(intent["confidence"]),
        entities=entities,
        ranking=ranking,
    )


def _span(body: Any, entity: Any) -> str:
    text = str(body.get("text", ""))
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return text[start:end]
    return str(entity["value"])
