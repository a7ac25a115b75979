"""The NLU client against a stand-in Rasa HTTP server: mapping, timeout, breaker, errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from nlu.client import CircuitBreaker, NluClient, NluUnavailable

TOKEN = "secret-token"


@dataclass
class FakeRasa:
    """Answers /model/parse like Rasa 3.6; `mode` switches it to misbehave."""

    mode: str = "ok"
    texts: list[str] = field(default_factory=list)
    tokens: list[str | None] = field(default_factory=list)
    port: int = 0
    runner: web.AppRunner | None = None

    async def parse(self, request: web.Request) -> web.StreamResponse:
        self.tokens.append(request.query.get("token"))
        body = await request.json()
        self.texts.append(body["text"])
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "error":
            return web.Response(status=500)
        if request.query.get("token") != TOKEN:
            return web.json_response({"message": "unauthorized"}, status=401)
        if self.mode == "garbage":
            return web.Response(text="<html>not json</html>", content_type="text/html")
        if self.mode == "wrong_shape":
            return web.json_response({"intent": None})
        return web.json_response(_rasa_answer(body["text"]))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/model/parse", self.parse)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _rasa_answer(text: str) -> dict[str, Any]:
    start = text.find("водителя")
    return {
        "text": text,
        "intent": {"name": "search_vacancies", "confidence": 0.93},
        "entities": [
            {
                "entity": "profession",
                "start": start,
                "end": start + len("водителя"),
                "value": "водителя",
                "extractor": "DIETClassifier",
            }
        ],
        "intent_ranking": [
            {"name": "search_vacancies", "confidence": 0.93},
            {"name": "apply_job_search", "confidence": 0.05},
        ],
    }


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    await fake.start()
    yield fake
    assert fake.runner is not None
    await fake.runner.cleanup()


@pytest.fixture
async def client(rasa: FakeRasa) -> AsyncIterator[NluClient]:
    nlu = NluClient(rasa.url, TOKEN, timeout_seconds=0.5, max_text_chars=50)
    yield nlu
    await nlu.close()


async def test_parse_maps_rasa_answer_and_sends_the_token(
    client: NluClient, rasa: FakeRasa
) -> None:
    result = await client.parse("вакансии водителя")
    assert result.intent == "search_vacancies"
    assert result.confidence == pytest.approx(0.93)
    assert [(e.name, e.text) for e in result.entities] == [("profession", "водителя")]
    assert result.ranking[1][0] == "apply_job_search"
    assert result.ranking[1][1] == pytest.approx(0.05)
    assert rasa.tokens == [TOKEN]


async def test_long_text_is_capped_before_it_is_sent(client: NluClient, rasa: FakeRasa) -> None:
    await client.parse("вакансии водителя " + "очень " * 2000)
    assert len(rasa.texts[0]) == 50


async def test_a_hanging_server_costs_no_more_than_the_timeout(
    client: NluClient, rasa: FakeRasa
) -> None:
    rasa.mode = "slow"  # answers after 2 s; the client gives up after 0.5 s
    started = time.monotonic()
    with pytest.raises(NluUnavailable):
        await client.parse("привет")
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("mode", ["error", "garbage", "wrong_shape"])
async def test_bad_answers_are_unavailability_not_crashes(
    client: NluClient, rasa: FakeRasa, mode: str
) -> None:
    rasa.mode = mode
    with pytest.raises(NluUnavailable):
        await client.parse("привет")


async def test_wrong_token_is_a_failure(rasa: FakeRasa) -> None:
    client = NluClient(rasa.url, "wrong", timeout_seconds=0.5)
    try:
        with pytest.raises(NluUnavailable):
            await client.parse("привет")
    finally:
        await client.close()


async def test_open_breaker_stops_calling_the_server(rasa: FakeRasa) -> None:
    rasa.mode = "error"
    client = NluClient(
        rasa.url, TOKEN, timeout_seconds=0.5, breaker=CircuitBreaker(2, reset_seconds=60)
    )
    try:
        for _ in range(5):
            with pytest.raises(NluUnavailable):
                await client.parse("привет")
        assert len(rasa.texts) == 2  # after two failures the server is left alone
    finally:
        await client.close()


async def test_nothing_listening_is_unavailability() -> None:
    client = NluClient("http://127.0.0.1:9", TOKEN, timeout_seconds=2)
    try:
        with pytest.raises(NluUnavailable):
            await client.parse("привет")
    finally:
        await client.close()


async def test_a_cancelled_trial_call_lets_the_next_message_try_again(rasa: FakeRasa) -> None:
    now = [0.0]
    breaker = CircuitBreaker(1, reset_seconds=10, clock=lambda: now[0])
    client = NluClient(rasa.url, TOKEN, timeout_seconds=5, breaker=breaker)
    try:
        rasa.mode = "error"
        with pytest.raises(NluUnavailable):
            await client.parse("привет")
        now[0] = 11.0  # half-open: the next call is the one trial
        rasa.mode = "slow"
        trial = asyncio.create_task(client.parse("привет"))
        for _ in range(500):  # until the trial reached the server
            if len(rasa.texts) == 2:
                break
            await asyncio.sleep(0.01)
        trial.cancel()  # e.g. the bot shutting down mid-handler
        with pytest.raises(asyncio.CancelledError):
            await trial
        rasa.mode = "ok"
        result = await client.parse("ищу работу водителя")
        assert result.intent == "search_vacancies"
        assert breaker.state == "closed"
    finally:
        await client.close()
