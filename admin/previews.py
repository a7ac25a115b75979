"""A rendered Telegram text as a browser may show it in the editor's preview bubble.

The text has passed the Telegram HTML check, but a preview page must not trust it: only
Telegram's own tags are kept (as harmless HTML), links only to http(s) and tg: addresses,
everything else is escaped."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from markupsafe import Markup

from dialogs.telegram_html import ALLOWED_TAGS

# Telegram's tags as the browser shows them; a spoiler is a span the page's CSS blurs.
_AS_HTML = {"tg-spoiler": "span", "tg-emoji": "span", "span": "span"}
_LINKS = ("http://", "https://", "tg://")


class _Bubble(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or ""))
            return
        shown = _AS_HTML.get(tag, tag)
        extra = ""
        if tag in ("tg-spoiler", "span"):
            extra = ' class="spoiler"'
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(_LINKS):
            extra = f' href="{html.escape(href)}" rel="noopener noreferrer" target="_blank"'
        self.out.append(f"<{shown}{extra}>")
        self.open.append(shown)

    def handle_endtag(self, tag: str) -> None:
        shown = _AS_HTML.get(tag, tag)
        if tag in ALLOWED_TAGS and shown in self.open:
            while self.open:
                closing = self.open.pop()
                self.out.append(f"</{closing}>")
                if closing == shown:
                    break
        else:
            self.out.append(html.escape(f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data))


def bubble(telegram_html: str) -> Markup:
    parser = _Bubble()
    parser.feed(telegram_html)
    parser.close()
    closing = "".join(f"</{tag}>" for tag in reversed(parser.open))
    return Markup("".join(parser.out) + closing)
