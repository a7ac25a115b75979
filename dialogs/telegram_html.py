"""Checks a rendered text against what Telegram accepts: its small HTML subset (parse_mode
HTML), balanced tags, escaped `<` and `&`, and the length limits. Telegram refuses a whole
message with "can't parse entities" for one stray tag, so an administrator's edit is checked
here before it can reach a citizen.

Limits (Bot API): a message is 1–4096 characters and a caption 0–1024 after entities are
parsed, counted in UTF-16 code units; a bot command's description 1–256; a forum topic's name
1–128. A button's text has no documented limit, but a long one is cut on phones: 64.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Tag -> the attributes Telegram reads on it (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),  # only class="tg-spoiler"
    "a": frozenset({"href"}),
    "tg-emoji": frozenset({"emoji-id"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}

LIMITS = {"message": 4096, "caption": 1024, "command": 256, "title": 128, "button": 64}

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


@dataclass(frozen=True)
class HtmlProblem:
    line: int
    message: str


def visible_text(markup: str) -> str:
    """What the reader sees: the tags dropped, the entities decoded."""
    return html.unescape(re.sub(_TAG, "", markup))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[tuple[str, int]] = []
        self.problems: list[HtmlProblem] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.problems.append(HtmlProblem(line, f"Telegram не знает тег <{tag}>"))
            return
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(
                    HtmlProblem(line, f"у тега <{tag}> в Telegram нет атрибута {name}")
                )
            elif tag == "span" and value != "tg-spoiler":
                self.problems.append(HtmlProblem(line, '<span> бывает только class="tg-spoiler"'))
        self.open.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(HtmlProblem(self.getpos()[0], f"тег <{tag}/> Telegram не примет"))

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag not in ALLOWED_TAGS:
            return  # already reported at its start, or a stray end of an unknown tag
        if not self.open or self.open[-1][0] != tag:
            self.problems.append(HtmlProblem(line, f"</{tag}> закрывает тег, который не открыт"))
            return
        self.open.pop()


def check_markup(markup: str, kind: str = "message") -> list[HtmlProblem]:
    """Everything wrong with `markup` as a Telegram text of `kind` (see LIMITS)."""
    problems: list[HtmlProblem] = []
    for number, line in enumerate(markup.split("\n"), start=1):
        for match in re.finditer("[<&]", line):
            rest = line[match.start() :]
            if match.group() == "<" and not _TAG.match(rest):
                problems.append(HtmlProblem(number, "знак < в тексте пишется как &lt;"))
            if match.group() == "&" and not _ENTITY.match(rest):
                problems.append(HtmlProblem(number, "знак & в тексте пишется как &amp;"))
    if kind in ("button", "command", "title"):
        if _TAG.search(markup):
            problems.append(HtmlProblem(1, "здесь разметка не работает: уберите теги"))
    else:
        parser = _Balance()
        parser.feed(markup)
        parser.close()
        problems += parser.problems
        problems += [HtmlProblem(line, f"тег <{tag}> не закрыт") for tag, line in parser.open]
    shown = visible_text(markup)
    length = utf16_length(shown)
    limit = LIMITS[kind]
    if length > limit:
        problems.append(HtmlProblem(1, f"текст длиннее {limit} знаков ({length})"))
    if kind != "caption" and not shown.strip():
        problems.append(HtmlProblem(1, "текст пустой"))
    return problems
