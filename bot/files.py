"""Files citizens sent, fetched from Telegram for the web desk (getFile, then the download)."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiogram import Bot

MAX_BYTES = 20 * 1024 * 1024  # getFile serves files up to 20 MB


class TelegramFiles:
    """A bot client of its own: the staff app may run without the polling bot beside it."""

    def __init__(self, token: str, api_server: str) -> None:
        self._token = token
        self._api_server = api_server
        self._bot: Bot | None = None

    async def fetch(self, file_id: str) -> tuple[bytes, str]:
        """The file's bytes and media type; LookupError when Telegram does not give it."""
        # aiogram is imported here, not at the top: its types take seconds to import, and the
        # staff app and the command line build this class without ever fetching a file.
        from aiogram import Bot  # noqa: PLC0415
        from aiogram.client.session.aiohttp import AiohttpSession  # noqa: PLC0415
        from aiogram.client.telegram import TelegramAPIServer  # noqa: PLC0415
        from aiogram.exceptions import TelegramAPIError  # noqa: PLC0415

        if self._bot is None:
            session = AiohttpSession(api=TelegramAPIServer.from_base(self._api_server))
            self._bot = Bot(self._token, session=session)
        try:
            file = await self._bot.get_file(file_id)
            if file.file_path is None or (file.file_size or 0) > MAX_BYTES:
                raise LookupError(file_id)
            data = await self._bot.download_file(file.file_path)
        except TelegramAPIError as exc:
            raise LookupError(file_id) from exc
        if data is None:
            raise LookupError(file_id)
        media_type = mimetypes.guess_type(file.file_path)[0] or "application/octet-stream"
        return data.read(), media_type

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.session.close()
