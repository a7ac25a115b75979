"""Keeps aiogram's response models alive between Bot API calls.

aiogram parses every answer with `Response[method.__returning__]`, a generic pydantic model.
pydantic caches such models only weakly, and one made inside a function (as aiogram's is) has
no other owner, so each garbage collection drops it and the next call builds the model again:
about 6 ms of CPU, once every few turns under load (bench/README.md, "The whole bot"). A
strong reference per method class, a few dozen in all, makes the lookup a cache hit.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType


class KeepResponseTypes(BaseRequestMiddleware):
    """Holds `Response[...]` for every method class that has passed through the session."""

    def __init__(self) -> None:
        self._kept: dict[type[TelegramMethod[Any]], type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self._kept:
            self._kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)


def keep_response_types(session: BaseSession) -> None:
    """Put the keeper on a bot's session (once per session)."""
    session.middleware(KeepResponseTypes())
