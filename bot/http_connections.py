"""Kept-alive HTTP/1.1 connections to one server, for the Bot API's JSON calls.

Each reply the bot sends is one small POST to the same server. A message's whole call through
aiogram cost the bot 232-256 µs of CPU with aiohttp's client, and 112-120 µs written on a kept
connection and read with `httptools` (the C parser uvicorn uses) (bench/README.md, "The whole
bot", eighth sitting). A request here is as simple as the Bot API needs: a POST with a
JSON body, an answer with its length given or in chunks, no redirects, no cookies, no proxy
(a proxy or a file upload goes through aiohttp, bot/api_session.py).

A connection carries one request at a time and goes back to the pool only after a whole
answer that lets it be kept; a failure or a timeout closes it, so a late answer never meets
the next request. A connection idle longer than `KEEP_IDLE_SECONDS` is closed rather than
used: a server may close it at any moment after its own keep-alive time (nginx: 75 s), and a
request written as it does so fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from urllib.parse import urlsplit

import certifi
import httptools

KEEP_IDLE_SECONDS = 15.0  # aiohttp's own keep-alive time
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a getUpdates answer is at most a few megabytes


class HttpConnectionError(ConnectionError):
    """The request could not be made or its answer could not be read."""


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection, parsing the answers it receives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.idle_since = time.monotonic()
        self.generation = 0
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []
        self._size = 0
        self.lost = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(HttpConnectionError(f"unreadable answer: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._fail(HttpConnectionError(f"connection closed before the answer ended: {exc}"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_ANSWER_BYTES:
            self._fail(HttpConnectionError("answer too large"))
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        answer, self._answer = self._answer, None
        if answer is None or answer.done():
            self.close()  # an answer nobody asked for: the connection is out of step
            return
        if not self._parser.should_keep_alive():
            self.close()  # used up: not kept for the next request
        answer.set_result((self._parser.get_status_code(), b"".join(self._body)))

    # ours
    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._body, self._size = [], 0
        self.transport.write(request)
        return self._answer

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is closed: so is it
                self.transport.close()

    def _fail(self, error: Exception) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(error)
        self.close()


class HttpConnections:
    """Up to `limit` kept connections to the server of `base_url`, requests waiting for one
    when all are busy."""

    def __init__(self, base_url: str, limit: int = 100, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: how an https server is checked; by default against certifi's roots, as
        aiogram's own session does."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an HTTP server address: {base_url!r}")
        self._host = parts.hostname
        self._tls = parts.scheme == "https"
        self._port = parts.port or (443 if self._tls else 80)
        default_port = (self._port == 443) if self._tls else (self._port == 80)
        host_header = f"[{self._host}]" if ":" in self._host else self._host  # IPv6
        if not default_port:
            host_header += f":{self._port}"
        self._head = f"Host: {host_header}\r\nContent-Type: application/json\r\n".encode("ascii")
        self._ssl = (
            (tls or ssl.create_default_context(cafile=certifi.where())) if self._tls else None
        )
        self._limit = limit
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore  # made with the event loop's first request
        self._loop: asyncio.AbstractEventLoop | None = None
        self._generation = 0  # a connection opened before the last close() is not kept

    async def post_json(self, path: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        """POSTs `body` to `path` (with its query, already quoted); the answer's status and
        body. Raises `HttpConnectionError`, or `TimeoutError` after `timeout` seconds."""
        request = b"".join(
            (
                b"POST ",
                path.encode("ascii"),
                b" HTTP/1.1\r\n",
                self._head,
                b"Content-Length: %d\r\n\r\n" % len(body),
                body,
            )
        )
        if asyncio.get_running_loop() is not self._loop:
            self._start_over()
        connection: _Connection | None = None
        try:
            async with asyncio.timeout(timeout), self._slots:
                connection = self._kept() or await self._open()
                status, content = await connection.send(request)
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        if not connection.lost and connection.generation == self._generation:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        return status, content

    async def close(self) -> None:
        """Closes the idle connections; those in use close when their answer comes. A
        request made after this opens a new one."""
        self._forget_connections()

    def _forget_connections(self) -> None:
        self._generation += 1
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _start_over(self) -> None:
        """Connections and their waiting line belong to one event loop: in another (a
        restart, a test) both are made anew."""
        self._forget_connections()
        self._slots = asyncio.Semaphore(self._limit)
        self._loop = asyncio.get_running_loop()

    def _kept(self) -> _Connection | None:
        """The most recently used idle connection still open. Those idle too long are closed
        first (the list is in the order they went idle)."""
        now = time.monotonic()
        while self._idle and now - self._idle[0].idle_since >= KEEP_IDLE_SECONDS:
            self._idle.pop(0).close()
        while self._idle:
            connection = self._idle.pop()
            if not connection.lost:
                return connection
        return None

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                _Connection,
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._tls else None,
            )
        except OSError as error:
            message = f"cannot connect to {self._host}:{self._port}: {error}"
            raise HttpConnectionError(message) from error
        connection.generation = self._generation
        return connection
