"""Latency of Rasa's /model/parse through the bot's NLU client, sequential and concurrent.

Starts its own Rasa server with the trained model (run `make nlu-model` first), sends the
held-out examples, and prints median and p95 per request, the server's start time and its
memory. Run: `.venv/bin/python -m bench.nlu_latency [--requests 400] [--concurrency 50]`.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import socket
import statistics
import tempfile
import time
from pathlib import Path

from nlu import service
from nlu.client import CircuitBreaker, NluClient


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _summary(name: str, latencies: list[float], wall: float) -> str:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"{name:<14} n={len(ordered):>4}  median {statistics.median(ordered) * 1000:6.1f} ms  "
        f"p95 {p95 * 1000:6.1f} ms  throughput {len(ordered) / wall:6.1f} req/s"
    )


async def _timed(client: NluClient, text: str) -> float:
    started = time.perf_counter()
    await client.parse(text)
    return time.perf_counter() - started


async def measure(url: str, token: str, requests: int, concurrency: int) -> list[str]:
    texts = [text for text, _intent in service.heldout_examples()]
    batch = [texts[i % len(texts)] for i in range(requests)]
    # A breaker that never opens and a generous timeout: measure Rasa, not our fallbacks.
    client = NluClient(
        url, token, timeout_seconds=30, breaker=CircuitBreaker(failure_threshold=10**9)
    )
    try:
        for text in texts[:20]:  # warm-up: first calls build TensorFlow graphs
            await client.parse(text)
        started = time.perf_counter()
        sequential = [await _timed(client, text) for text in batch]
        lines = [_summary("sequential", sequential, time.perf_counter() - started)]

        gate = asyncio.Semaphore(concurrency)

        async def limited(text: str) -> float:
            async with gate:
                return await _timed(client, text)

        started = time.perf_counter()
        concurrent = await asyncio.gather(*(limited(text) for text in batch))
        wall = time.perf_counter() - started
        lines.append(_summary(f"{concurrency} concurrent", list(concurrent), wall))
        return lines
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    port, token = _free_port(), secrets.token_urlsafe(16)
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp()) / "rasa.log"
    with service.running_server(port, token, log) as process:
        took = service.wait_ready(url, token, process, timeout=300)
        print(f"Rasa loaded the model in {took:.1f} s")
        for line in asyncio.run(measure(url, token, args.requests, args.concurrency)):
            print(line)
        print(f"Rasa server RSS after the run: {_rss_mib(process.pid):.0f} MiB")


if __name__ == "__main__":
    main()
