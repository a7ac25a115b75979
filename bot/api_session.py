"""The bot's Bot API client: aiogram's aiohttp session, sending requests as JSON.

aiogram posts every call as an HTML form: each field that is not a plain string (the reply's
buttons, the chat id) is written as JSON text, and the whole form is then URL-encoded, where
every Cyrillic letter becomes six bytes (`%D0%90`). Building that took about 73 µs a message
against 32 µs for one JSON body, and the turn makes two or three calls (bench/README.md,
"The whole bot"). The Bot API takes `application/json` bodies as well as forms
(core.telegram.org/bots/api#making-requests); a call that uploads a file still goes as
aiogram's multipart form, the only way a file can travel.

These JSON calls travel on kept-alive connections of our own (bot/http_connections.py): a
message's call costs the bot about half the CPU it did through aiohttp's client. aiohttp still
carries the multipart uploads, and every call when a proxy is set.

The answer is checked by aiogram's own `check_response`, so errors, 429 `retry_after` and
the answer's objects are exactly as with aiogram's session. One exception: a caller that does
not read the answer (`answers_unread`, the replies' sender) gets None for a call that
succeeded, as building aiogram's `Message` from it took about a twentieth of a turn's CPU; a
call that failed is checked by `check_response` all the same.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlsplit

import orjson
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, InputFile
from pydantic import BaseModel

from bot.http_connections import HttpConnectionError, HttpConnections
from kernel.json_text import json_bytes, json_text

KEYBOARDS_KEPT = 1024  # keyboards whose JSON-ready form is kept (bot/sender.py keeps as many)
_ANSWER_UNREAD = contextvars.ContextVar("answer_unread", default=False)


@contextlib.contextmanager
def answers_unread() -> Iterator[None]:
    """Bot API calls made inside do not read their answer: one that succeeds returns None,
    not aiogram's object; one that fails raises as always."""
    token = _ANSWER_UNREAD.set(True)
    try:
        yield
    finally:
        _ANSWER_UNREAD.reset(token)


def _succeeded(status: int, content: str) -> bool:
    if status != 200:
        return False
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False  # `check_response` says what is wrong with it
    return isinstance(answer, dict) and answer.get("ok") is True


class _UploadError(Exception):
    """The call carries a file: it goes as aiogram's multipart form."""


class JsonBotApiSession(AiohttpSession):
    def __init__(self, **kwargs: Any) -> None:
        # orjson: it reads an answer (`getUpdates` among them) about three times faster than
        # the standard library's json, and writes a message's body twenty times faster.
        kwargs.setdefault("json_loads", orjson.loads)
        kwargs.setdefault("json_dumps", json_text)  # a file's call: aiogram's form
        super().__init__(**kwargs)
        # (token, method) -> the server's connections and the call's path
        self._calls: dict[tuple[str, str], tuple[HttpConnections, str]] = {}
        self._servers: dict[str, HttpConnections] = {}  # scheme://host:port -> connections
        # id -> (the keyboard, its JSON-ready form). The keyboard is held while its entry is
        # here, so no other object can have its id meanwhile.
        self._keyboards: dict[int, tuple[InlineKeyboardMarkup, Any]] = {}

    def build_json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call's fields as one JSON object, or None when the call uploads a file. Unset
        fields are left out, as aiogram's form leaves them out."""
        try:
            fields = {
                key: value
                for key, value in self._plain(method, bot).items()
                if value is not None and value != ""
            }
        except _UploadError:
            return None
        return json_bytes(fields)

    def _plain(self, value: Any, bot: Bot) -> Any:
        """`value` as JSON-ready data, None left out, each `Default` the bot's own: what
        aiogram's `model_dump` and `prepare_value` make of it, read straight from the models'
        fields (those two took about 55 µs for a message with six buttons, this 25 µs).
        Anything else (dates, enums) is left to aiogram's `prepare_value`; a file raises
        `_UploadError`."""
        if value is None or isinstance(value, (str, int, float)):
            return value
        if isinstance(value, InlineKeyboardMarkup):
            return self._plain_keyboard(value, bot)
        if isinstance(value, BaseModel):
            return self._plain_model(value, bot)
        if isinstance(value, (list, tuple)):
            return [p for v in value if (p := self._plain(v, bot)) is not None]
        if isinstance(value, dict):
            return {k: p for k, v in value.items() if (p := self._plain(v, bot)) is not None}
        if isinstance(value, Default):
            return self._plain(bot.default[value.name], bot)
        if isinstance(value, InputFile):
            raise _UploadError
        return self.prepare_value(value, bot=bot, files={}, _dumps_json=False)

    def _plain_model(self, model: BaseModel, bot: Bot) -> dict[str, Any]:
        fields = model.__dict__
        if model.__pydantic_extra__:
            fields = {**fields, **model.__pydantic_extra__}
        return {k: p for k, v in fields.items() if (p := self._plain(v, bot)) is not None}

    def _plain_keyboard(self, markup: InlineKeyboardMarkup, bot: Bot) -> Any:
        """A keyboard's JSON-ready form, kept: most keyboards are the same objects again and
        again (bot/sender.py `keyboard`), and reading the fields of one with six buttons took
        about 25 µs of a message body's 35. aiogram's models are not changed once sent, here
        or in aiogram."""
        kept = self._keyboards.get(id(markup))
        if kept is not None:
            return kept[1]
        plain = self._plain_model(markup, bot)
        if len(self._keyboards) >= KEYBOARDS_KEPT:
            self._keyboards.clear()
        self._keyboards[id(markup)] = (markup, plain)
        return plain

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        body = self.build_json_body(bot, method)
        if body is None or self.proxy is not None:
            return await super().make_request(bot, method, timeout)
        connections, path = self._call(bot.token, method.__api_method__)
        try:
            status, answer = await connections.post_json(
                path, body, self.timeout if timeout is None else timeout
            )
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except HttpConnectionError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method, message=message) from error
        # The Bot API answers in UTF-8 JSON (core.telegram.org/bots/api#making-requests).
        content = answer.decode("utf-8", errors="replace")
        if _ANSWER_UNREAD.get() and _succeeded(status, content):
            return cast(TelegramType, None)
        response = self.check_response(bot=bot, method=method, status_code=status, content=content)
        return cast(TelegramType, response.result)

    def _call(self, token: str, method: str) -> tuple[HttpConnections, str]:
        """The connections to the call's server and the call's path, worked out once."""
        call = self._calls.get((token, method))
        if call is None:
            url = urlsplit(self.api.api_url(token=token, method=method))
            origin = f"{url.scheme}://{url.netloc}"
            connections = self._servers.get(origin)
            if connections is None:
                limit = self._connector_init["limit"]  # aiogram's own: 100 by default
                connections = self._servers[origin] = HttpConnections(origin, limit=limit)
            call = self._calls[(token, method)] = (connections, url.path)
        return call

    async def close(self) -> None:
        await super().close()
        for connections in self._servers.values():
            await connections.close()
