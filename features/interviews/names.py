"""What staff read for a notice's kind and state (the desk's words)."""

from __future__ import annotations

KINDS = {"notification": "приглашение на переговоры", "referral": "направление на работу"}
STATES = {
    "sent": "отправлено, ждём ответа",
    "agreed": "встреча назначена",
    "unreachable": "не может дозвониться",
    "move_requested": "просит перенести",
    "hired": "принят(а) на работу",
    "employer_refused": "отказ работодателя",
    "declined": "отказ гражданина",
    "no_answer": "работодатель не ответил",
}
