"""The Bot API's kept connections against a small server whose every answer is scripted by the
request's path: kept alive, closed, chunked, never sent, cut, unreadable."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import trustme

from bot.http_connections import KEEP_IDLE_SECONDS, HttpConnectionError, HttpConnections


@dataclass
class Server:
    port: int = 0
    connections: int = 0
    bodies: list[bytes] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")
                path = lines[0].split()[1]
                length = next(
                    int(line.split(":")[1]) for line in lines if line.startswith("Content-Length")
                )
                self.bodies.append(await reader.readexactly(length))
                if not await self.answer(path, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def answer(self, path: str, writer: asyncio.StreamWriter) -> bool:
        """Answers as `path` says; False closes the connection."""
        body = b'{"ok":true,"result":"%s"}' % path.encode()
        if path == "/silent":
            await asyncio.sleep(10)
            return False
        if path == "/cut":
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok"')
            await writer.drain()
            return False
        if path == "/garbage":
            writer.write(b"this is not HTTP\r\n\r\n")
            await writer.drain()
            return True
        if path == "/chunked":
            half = len(body) // 2
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n"
                % (half, body[:half], len(body) - half, body[half:])
            )
            await writer.drain()
            return True
        closing = path == "/close"
        writer.write(
            b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
            % (
                b"429 Too Many Requests" if path == "/busy" else b"200 OK",
                len(body),
                b"Connection: close\r\n" if closing else b"",
                body,
            )
        )
        await writer.drain()
        return not closing


@contextlib.asynccontextmanager
async def serving(tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    scripted = Server()
    listening = await asyncio.start_server(scripted.serve, "127.0.0.1", 0, ssl=tls)
    scripted.port = listening.sockets[0].getsockname()[1]
    yield scripted
    for writer in scripted.writers:
        writer.close()
    listening.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with serving() as scripted:
        yield scripted


@pytest.fixture
async def connections(server: Server) -> AsyncIterator[HttpConnections]:
    kept = HttpConnections(f"http://127.0.0.1:{server.port}", limit=3)
    yield kept
    await kept.close()


async def test_requests_one_after_another_share_one_connection(
    server: Server, connections: HttpConnections
) -> None:
    for number in range(5):
        status, answer = await connections.post_json(f"/bot1/call{number}", b'{"n":1}', 5)
        assert (status, answer) == (200, b'{"ok":true,"result":"/bot1/call%d"}' % number)
    assert server.connections == 1
    assert server.bodies == [b'{"n":1}'] * 5


async def test_the_status_of_a_refusal_is_returned(connections: HttpConnections) -> None:
    status, answer = await connections.post_json("/busy", b"{}", 5)
    assert status == 429
    assert answer == b'{"ok":true,"result":"/busy"}'


async def test_a_chunked_answer_is_read_whole(connections: HttpConnections) -> None:
    assert await connections.post_json("/chunked", b"{}", 5) == (
        200,
        b'{"ok":true,"result":"/chunked"}',
    )


async def test_a_connection_the_server_closes_is_not_used_again(
    server: Server, connections: HttpConnections
) -> None:
    assert (await connections.post_json("/close", b"{}", 5))[0] == 200
    assert (await connections.post_json("/after", b"{}", 5))[0] == 200
    assert server.connections == 2


async def test_a_connection_closed_while_idle_is_replaced(
    server: Server, connections: HttpConnections
) -> None:
    await connections.post_json("/first", b"{}", 5)
    server.writers[0].close()  # the server's keep-alive time ran out
    await asyncio.sleep(0.05)
    assert (await connections.post_json("/second", b"{}", 5))[1].endswith(b'"/second"}')
    assert server.connections == 2


async def test_a_connection_idle_too_long_is_not_used(
    server: Server, connections: HttpConnections, monkeypatch: pytest.MonkeyPatch
) -> None:
    await connections.post_json("/first", b"{}", 5)
    later = asyncio.get_running_loop().time() + KEEP_IDLE_SECONDS + 1
    monkeypatch.setattr("bot.http_connections.time.monotonic", lambda: later)
    await connections.post_json("/second", b"{}", 5)
    assert server.connections == 2


async def test_no_answer_in_time_is_a_timeout_and_the_late_one_is_never_read(
    server: Server, connections: HttpConnections
) -> None:
    with pytest.raises(TimeoutError):
        await connections.post_json("/silent", b"{}", 0.2)
    assert (await connections.post_json("/next", b"{}", 5))[1].endswith(b'"/next"}')
    assert server.connections == 2


@pytest.mark.parametrize("path", ["/cut", "/garbage"])
async def test_a_cut_or_unreadable_answer_is_a_connection_error(
    path: str, server: Server, connections: HttpConnections
) -> None:
    with pytest.raises(HttpConnectionError):
        await connections.post_json(path, b"{}", 5)
    assert (await connections.post_json("/next", b"{}", 5))[0] == 200
    assert server.connections == 2


async def test_no_more_connections_than_the_limit(
    server: Server, connections: HttpConnections
) -> None:
    answers = await asyncio.gather(
        *(connections.post_json(f"/many{n}", b"{}", 5) for n in range(12))
    )
    assert [answer for _, answer in answers] == [
        b'{"ok":true,"result":"/many%d"}' % n for n in range(12)
    ]
    assert server.connections == 3


async def test_an_unreachable_server_is_a_connection_error(server: Server) -> None:
    unreachable = HttpConnections("http://127.0.0.1:9", limit=1)
    with pytest.raises(HttpConnectionError, match="cannot connect"):
        await unreachable.post_json("/x", b"{}", 5)


async def test_close_closes_the_idle_and_a_later_request_opens_anew(
    server: Server, connections: HttpConnections
) -> None:
    await connections.post_json("/first", b"{}", 5)
    await connections.close()
    assert (await connections.post_json("/second", b"{}", 5))[0] == 200
    assert server.connections == 2


def test_only_an_http_server_address_is_taken() -> None:
    with pytest.raises(ValueError, match="not an HTTP server"):
        HttpConnections("ftp://example.org")


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_server(authority: trustme.CA) -> AsyncIterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    async with serving(context) as scripted:
        yield scripted


async def test_an_https_server_is_reached_over_tls_and_its_certificate_checked(
    tls_server: Server, authority: trustme.CA
) -> None:
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    kept = HttpConnections(f"https://localhost:{tls_server.port}", limit=1, tls=trusting)
    for number in range(2):
        status, answer = await kept.post_json(f"/bot1/call{number}", b"{}", 5)
        assert (status, answer) == (200, b'{"ok":true,"result":"/bot1/call%d"}' % number)
    assert tls_server.connections == 1  # kept alive over TLS too
    await kept.close()

    # By default the certificate is checked against the public roots: this one fails.
    default = HttpConnections(f"https://localhost:{tls_server.port}", limit=1)
    with pytest.raises(HttpConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        await default.post_json("/bot1/call", b"{}", 5)
