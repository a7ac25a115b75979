"""A local fake of the Telegram Bot API over HTTP, for end-to-end tests of the real bot process.

It serves the methods the bot uses, records every request with its parameters, and lets a test
play a citizen by queueing updates (text messages and button presses).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "ЦЗН", "username": "czn_test_bot"}
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "entities"}


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when it arrived
    content_type: str = ""  # how the bot sent it: JSON, a form, or multipart with a file


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    citizen: dict[str, Any] = field(
        default_factory=lambda: {
            "id": 777001,
            "is_bot": False,
            "first_name": "Анна",
            "last_name": "Петрова",
            "username": "anna_p",
            "language_code": "ru",
        }
    )
    requests: list[Request] = field(default_factory=list)
    send_delay: float = 0.0  # seconds sendMessage takes to answer (to catch a bot mid-handler)
    failing_sends: int = 0  # how many next sendMessage calls answer 500
    blocked_chats: set[int] = field(default_factory=set)  # sendMessage to them answers 403
    # Like Telegram: more sendMessage calls than this within one second answer 429.
    rate_limit: int | None = None
    too_many: int = 0  # how many 429 answers were given
    # After downtime Telegram refuses to answer old button presses: 400 "query is too old".
    stale_callbacks: bool = False
    rate_limited_edits: int = 0  # how many next editMessageText calls answer 429
    # sendMessage calls that never answer (Telegram unreachable mid-send): they are kept in
    # `hung`, not in `requests`, as they delivered nothing.
    hang_sends: bool = False
    hung: list[dict[str, Any]] = field(default_factory=list)
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)  # forum topics by thread
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    # --- server ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def restart(self, away_seconds: float) -> None:
        """Closes every connection, refuses new ones for `away_seconds`, then listens again on
        the same port with the same state (Telegram's front end restarting)."""
        await self.stop()
        await asyncio.sleep(away_seconds)
        self._stopping = asyncio.Event()
        await self.start()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        if method == "sendMessage" and self.hang_sends:
            self.hung.append(params)
            await self._stopping.wait()  # the bot dies meanwhile; nothing was delivered
            return _error(500, "Internal Server Error")
        self.requests.append(Request(method, params, content_type=request.content_type))
        self._changed.set()
        if method == "sendMessage":
            refusal = self._refusal(params)
            if refusal is not None:
                return refusal
        if method == "answerCallbackQuery" and self.stale_callbacks:
            return _error(400, "Bad Request: query is too old and response timeout expired")
        if method == "editMessageText" and self.rate_limited_edits > 0:
            self.rate_limited_edits -= 1
            self.too_many += 1
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        """A file getFile pointed to: every file here is the same small picture."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        self.requests.append(Request("download", {"path": request.match_info["path"]}))
        return web.Response(body=PICTURE, content_type="image/png")

    async def _api_getFile(self, params: dict[str, Any]) -> Any:  # noqa: N802
        file_id = str(params["file_id"])
        return {
            "file_id": file_id,
            "file_unique_id": file_id[:16],
            "file_size": len(PICTURE),
            "file_path": f"photos/{file_id}.png",
        }

    def _refusal(self, params: dict[str, Any]) -> web.Response | None:
        if self.failing_sends > 0:
            self.failing_sends -= 1
            return _error(500, "Internal Server Error")
        if int(params.get("chat_id", 0)) in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.rate_limit is not None:
            now = time.monotonic()
            recent = [
                r for r in self.requests[-(self.rate_limit + 1) :] if r.method == "sendMessage"
            ]
            if len(recent) > self.rate_limit and now - recent[0].at < 1.0:
                self.too_many += 1
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        return None

    async def _api_getMe(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return BOT_USER

    async def _api_deleteWebhook(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    async def _api_setWebhook(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    async def _api_setMyCommands(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    async def _api_answerCallbackQuery(self, _params: dict[str, Any]) -> Any:  # noqa: N802
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802
        offset = int(params.get("offset", 0))
        # Confirmed updates (id below the offset) are forgotten, as Telegram does.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 1.0)
        while not self._updates and time.monotonic() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return list(self._updates)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": BOT_USER,
            "text": params["text"],
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self._messages[message["message_id"]] = message
        return message

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:  # noqa: N802
        # The file itself came as a multipart part; the message carries a stand-in for it.
        chat_id = int(params["chat_id"])
        document = {"file_id": "document-1", "file_unique_id": "document-1"}
        message = {"message_id": next(self._message_ids), "date": int(time.time())}
        return {**message, "chat": _chat(chat_id), "from": BOT_USER, "document": document}

    async def _api_copyMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return {"message_id": next(self._message_ids)}

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._messages.get(int(params["message_id"]))
        if message is None:
            return True
        message.pop("reply_markup", None)
        return message

    async def _api_createForumTopic(self, params: dict[str, Any]) -> Any:  # noqa: N802
        thread = next(self._message_ids)
        self.topics[thread] = {"name": params["name"], "closed": False}
        return {"message_thread_id": thread, "name": params["name"], "icon_color": 7322096}

    async def _api_closeForumTopic(self, params: dict[str, Any]) -> Any:  # noqa: N802
        self.topics[int(params["message_thread_id"])]["closed"] = True
        return True

    async def _api_reopenForumTopic(self, params: dict[str, Any]) -> Any:  # noqa: N802
        self.topics[int(params["message_thread_id"])]["closed"] = False
        return True

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:  # noqa: N802
        message = self._messages[int(params["message_id"])]
        message["text"] = params["text"]
        message.pop("reply_markup", None)
        return message

    # --- playing the citizen ---------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **update})
        self._changed.set()

    def _user_message(self, content: dict[str, Any], user: dict[str, Any] | None = None) -> int:
        user = user or self.citizen
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message_id = next(self._message_ids)
        self._push(
            {
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": chat,
                    "from": user,
                    **content,
                }
            }
        )
        return message_id

    def user_sends(self, text: str, user: dict[str, Any] | None = None) -> int:
        """The citizen (or `user`) writes; returns the message id."""
        return self._user_message({"text": text}, user)

    def user_sends_file(self, kind: str, file_id: str, **extra: Any) -> None:
        """A photo (kind "photo", sizes smallest first) or a document (kind "document")."""
        if kind == "photo":
            attachment: Any = [
                {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
                {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 960},
            ]
        else:
            attachment = {"file_id": file_id, "file_unique_id": file_id, **extra}
        self._user_message({kind: attachment})

    def user_presses(self, label: str, user: dict[str, Any] | None = None) -> str:
        """Press the button with this label on the newest bot message that shows it (in the
        chat of `user` when given)."""
        for message in reversed(list(self._messages.values())):
            if user is not None and message["chat"]["id"] != user["id"]:
                continue
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        data = str(button["callback_data"])
                        self.user_presses_data(data, message, user)
                        return data
        raise AssertionError(f"no button {label!r} on any message")

    def user_presses_data(
        self,
        data: str,
        message: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
    ) -> None:
        """Press a button by its callback data, e.g. one on an old message."""
        message = message or list(self._messages.values())[-1]
        self._push(
            {
                "callback_query": {
                    "id": f"cb{len(self.requests)}",
                    "from": user or self.citizen,
                    "chat_instance": "ci",
                    "message": message,
                    "data": data,
                }
            }
        )

    # --- playing an operator in the forum group ----------------------------------------------

    def member_sends(
        self, group: int, user: dict[str, Any], text: str, thread: int | None = None
    ) -> int:
        """A group member writes, in a topic when `thread` is given; returns the message id."""
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(group),
            "from": user,
            "text": text,
        }
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        self._push({"message": message})
        return message_id

    def member_presses(self, group: int, user: dict[str, Any], label: str) -> None:
        """A group member presses the newest group message's button with this label."""
        for message in reversed(list(self._messages.values())):
            if message["chat"]["id"] != group:
                continue
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        self._push(
                            {
                                "callback_query": {
                                    "id": f"cb{len(self.requests)}",
                                    "from": user,
                                    "chat_instance": "group",
                                    "message": message,
                                    "data": button["callback_data"],
                                }
                            }
                        )
                        return
        raise AssertionError(f"no button {label!r} in group {group}")

    def member_presses_data(self, user: dict[str, Any], data: str) -> None:
        """A group member presses the button with this callback data, wherever it is."""
        for message in self._messages.values():
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                if any(button["callback_data"] == data for button in row):
                    self.user_presses_data(data, message, user)
                    return
        raise AssertionError(f"no button with data {data!r}")

    def to_chat(self, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [p for p in self.sent(method) if int(p.get("chat_id", 0)) == chat_id]

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [r.params for r in self.requests if r.method == method]

    async def wait_for(
        self, method: str, count: int, timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has made `count` calls of `method` in total; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.sent(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout}s for {count} {method}; got {self.sent(method)}"
                )
            await asyncio.sleep(0.05)
        return self.sent(method)


def _picture(width: int = 8, height: int = 8) -> bytes:
    """A real PNG (a blue square), so a browser can show what getFile served."""
    rows = b"".join(b"\x00" + b"\x1f\x5f\xbf" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PICTURE = _picture()


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Операторы", "is_forum": True}
    return {"id": chat_id, "type": "private"}


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters is not None:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def buttons(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = value if isinstance(value, str) else ""
        params[key] = json.loads(text) if key in JSON_FIELDS else text
    if request.query:
        params.update(request.query)
    return params
