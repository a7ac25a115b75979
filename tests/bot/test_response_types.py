"""aiogram's response models survive garbage collection once the keeper has seen their method."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from aiogram import Bot
from aiogram.methods import Response, TelegramMethod
from aiogram.types import TelegramObject

from bot.response_types import KeepResponseTypes


class KeptAnswer(TelegramObject):
    value: int


class UnkeptAnswer(TelegramObject):
    value: int


class GetKept(TelegramMethod[KeptAnswer]):
    __returning__ = KeptAnswer
    __api_method__ = "getKept"


def response_type(returning: type[Any]) -> type[Any]:
    # Inside a function, as aiogram's `check_response` does: pydantic registers a generic model
    # made at module level in that module, which would keep it alive in any case.
    return Response[returning]  # type: ignore[valid-type]


async def test_a_kept_response_model_outlives_a_garbage_collection() -> None:
    async def make_request(bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        return Response[Any](ok=True)

    keeper = KeepResponseTypes()
    await keeper(make_request, Bot("42:TEST"), GetKept())
    kept = weakref.ref(response_type(KeptAnswer))
    gc.collect()
    assert kept() is not None
    assert keeper is not None  # the keeper, as the bot's session does, outlives the call


def test_without_the_keeper_the_model_is_collected() -> None:
    """The control: the model is really dropped, so the test above can fail."""
    unkept = weakref.ref(response_type(UnkeptAnswer))
    gc.collect()
    assert unkept() is None
