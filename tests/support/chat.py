"""A test citizen talking to the engine: presses only buttons that were actually offered."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.engine import Engine
from dialogs.ports import DialogStore
from dialogs.types import Button, Incoming, Reply


@dataclass
class EngineChat:
    engine: Engine
    store: DialogStore
    external_id: str = "1001"
    channel: str = "telegram"
    display_name: str | None = "Анна Петрова"
    last: list[Reply] = field(default_factory=list)

    def _incoming(self, **kwargs: object) -> Incoming:
        return Incoming(
            channel=self.channel,
            external_id=self.external_id,
            chat_id=int(self.external_id),
            display_name=self.display_name,
            username="anna",
            **kwargs,  # type: ignore[arg-type]
        )

    async def send(self, text: str | None = None, **kwargs: object) -> list[Reply]:
        self.last = await self.engine.handle(self.store, self._incoming(text=text, **kwargs))
        return self.last

    def offered(self) -> list[Button]:
        return [button for reply in self.last for row in reply.buttons for button in row]

    def button(self, label: str) -> Button:
        matches = [b for b in self.offered() if b.label == label]
        assert matches, f"no button {label!r} among {[b.label for b in self.offered()]}"
        return matches[0]

    async def press(self, label: str, **context: object) -> list[Reply]:
        candidates = [b for b in self.offered() if b.label == label]
        for key, value in context.items():
            candidates = [b for b in candidates if b.context.get(key) == value]
        assert candidates, f"no button {label!r} {context} among {self.offered()}"
        return await self.press_payload(candidates[0].payload)

    async def press_payload(self, payload: str) -> list[Reply]:
        self.last = await self.engine.handle(self.store, self._incoming(payload=payload))
        return self.last

    def templates(self) -> list[str]:
        return [reply.template for reply in self.last]
