"""A bare aiogram bot that echoes every message, as the ceiling for bench/e2e.py: the same
aiogram polling loop and Bot API client as ours, with none of our code behind them.
Reads BOT__TOKEN and BOT__API_SERVER like the real bot."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BOT__API_SERVER"]))
    bot = Bot(os.environ["BOT__TOKEN"], session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    await dispatcher.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
