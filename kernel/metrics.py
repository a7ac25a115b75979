"""The process's Prometheus metrics (served at the staff app's `/metrics`). Counters and
histograms are process-wide by nature, as the Prometheus client keeps them; the gauges of what
is waiting in the database are set when `/metrics` is read."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter(
    "assistant_updates_total",
    "Telegram updates by kind and what became of them",
    ["kind", "outcome"],  # message|callback|other; handled|duplicate|flood|failed
)
UPDATE_SECONDS = Histogram(
    "assistant_update_seconds",
    "Time to handle one update, from the database session to the replies sent",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
FREE_TEXT = Counter(
    "assistant_free_text_total",
    "Free text the bot had to read, by whether it knew what was asked",
    ["outcome"],  # understood | not_understood
)
NLU = Counter(
    "assistant_nlu_total",
    "What the bot did with free text outside a step: acted on the intent, asked to confirm "
    "it, offered the likeliest sections (fallback), or had no NLU answer (unavailable)",
    ["outcome"],  # acted | confirm | fallback | unavailable
)
DELIVERY_SECONDS = Histogram(
    "assistant_delivery_seconds",
    "From a message being due (a reply: its turn committed) to Telegram accepting it",
    ["what"],  # reply | reminder
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
TELEGRAM_REFUSALS = Counter(
    "assistant_telegram_refusals_total",
    "Telegram's 429 (too many requests) and 403 (blocked by the user) answers",
    ["code"],
)
WAITING = Gauge(
    "assistant_waiting",
    "What waits in the database: citizens queued for an operator, messages to relay, "
    "reminders by state",
    ["what"],
)
