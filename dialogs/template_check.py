"""Checks an administrator's edit of a template before it can be saved, let alone published:

1. it parses (Jinja2 syntax);
2. it uses only what is safe in a text (no Python internals, known filters, no recursion, no
   `extends`, imports of existing templates only) and only the variables its key receives;
3. it renders with every sample context of the key, in bounded time and size;
4. what it renders is valid Telegram HTML within Telegram's limits.

A partial (a macro library such as `complaint._names`, or an `intents.*` title) is never sent
alone, so the templates that import it are rendered with their samples instead.

Every problem is in plain Russian with its line, for the administrator's page.
"""

from __future__ import annotations

import concurrent.futures
import html
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, DictLoader, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateNotFound, UndefinedError

from dialogs.contexts import Declaration, declaration_of
from dialogs.sandbox import GuardedEnvironment, environment
from dialogs.telegram_html import check_markup

MAX_OUTPUT = 20_000  # characters a sample render may produce before it is stopped
MAX_SECONDS = 2.0  # a sample render's time
MAX_SOURCE = 20_000  # characters of template source

SAFE_FILTERS = frozenset(
    {
        "date", "datetime", "rub", "length", "count", "truncate", "join", "lower", "upper",
        "capitalize", "title", "trim", "default", "d", "first", "last", "e", "escape", "int",
        "float", "round", "abs", "string", "list", "sort", "select", "reject", "selectattr",
        "rejectattr", "map", "sum", "min", "max", "unique", "reverse", "batch", "slice",
        "replace", "striptags", "wordcount", "dictsort",
    }
)  # fmt: skip
SAFE_METHODS = frozenset(
    {"get", "items", "keys", "values", "strftime", "append", "cycle", "upper", "lower",
     "strip", "capitalize", "startswith", "endswith", "isoformat"}
)  # fmt: skip
BUILT_IN_NAMES = frozenset({"range", "loop", "caller", "varargs", "kwargs"})

_SYNTAX_MESSAGES = (
    ("nexpected end of template", "шаблон оборвался: не закрыт блок {% if %} или {% for %}"),
    ("Encountered unknown tag", "неизвестная команда в {% ... %}"),
    ("unexpected '}'", "лишняя фигурная скобка }"),
    ("expected token", "в выражении чего-то не хватает"),
    ("unexpected char", "недопустимый символ в выражении"),
)


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"строка {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Preview:
    """One sample rendered as a citizen would see it."""

    title: str  # which key and sample ("menu.main, образец 1")
    html: str
    kind: str = "message"  # a button is shown as a button
    buttons: tuple[tuple[str, ...], ...] = ()  # the labels of the buttons sent with it


@dataclass
class Checked:
    problems: list[Problem] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def template_path(key: str) -> str:
    return key.replace(".", "/") + ".j2"


def key_of(path: str) -> str:
    return path.removesuffix(".j2").replace("/", ".")


def _syntax_message(message: str) -> str:
    for english, russian in _SYNTAX_MESSAGES:
        if english in message:
            return russian
    return f"ошибка в разметке шаблона ({message})"


class _Rules:
    """The static rules over a parsed template."""

    def __init__(self, tree: nodes.Template, loader: BaseLoader, env: GuardedEnvironment):
        self.tree = tree
        self.loader = loader
        self.env = env
        self.problems: list[Problem] = []

    def add(self, node: nodes.Node, message: str) -> None:
        self.problems.append(Problem(getattr(node, "lineno", None), message))

    def check(self, declared: Mapping[str, str], filters: frozenset[str]) -> list[Problem]:
        aliases = {n.target for n in self.tree.find_all(nodes.Import)}
        aliases |= {
            name if isinstance(name, str) else name[1]
            for n in self.tree.find_all(nodes.FromImport)
            for name in n.names
        }
        macros = {n.name for n in self.tree.find_all(nodes.Macro)}
        for node in self.tree.find_all(nodes.Node):
            self._node(node, aliases, macros, filters)
        assigned = {n.name for n in self.tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        unknown = meta.find_undeclared_variables(self.tree) - set(declared) - BUILT_IN_NAMES
        unknown -= assigned | {"self"}
        offered = ", ".join(sorted(declared)) or "нет ни одной"
        for name in sorted(unknown):
            first = next(n for n in self.tree.find_all(nodes.Name) if n.name == name)
            self.add(first, f"переменной «{name}» у этого текста нет (есть: {offered})")
        return self.problems

    def _node(
        self, node: nodes.Node, aliases: set[str], macros: set[str], filters: frozenset[str]
    ) -> None:
        if isinstance(node, nodes.Name) and node.name == "self":
            self.add(node, "обращение к self недоступно")
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            self.add(node, f"служебный атрибут {node.attr} недоступен")
        elif isinstance(node, nodes.Getitem) and _private_const(node.arg):
            self.add(node, "служебный атрибут недоступен")
        elif isinstance(node, nodes.Filter) and node.name not in filters:
            self.add(node, f"фильтр {node.name} недоступен")
        elif isinstance(node, nodes.Extends):
            self.add(node, "{% extends %} в текстах бота не используется")
        elif isinstance(node, nodes.For) and node.recursive:
            self.add(node, "рекурсивный цикл недоступен")
        elif isinstance(node, nodes.Macro) and any(
            isinstance(call.node, nodes.Name) and call.node.name == node.name
            for call in node.find_all(nodes.Call)
        ):
            self.add(node, f"макрос {node.name} вызывает сам себя")
        elif isinstance(node, nodes.Call):
            self._call(node, aliases, macros)
        elif isinstance(node, nodes.Import | nodes.FromImport | nodes.Include):
            self._imported(node)

    def _call(self, node: nodes.Call, aliases: set[str], macros: set[str]) -> None:
        called = node.node
        if isinstance(called, nodes.Name) and called.name in {"range", "caller", *macros}:
            return
        if isinstance(called, nodes.Getattr):
            owner = called.node
            if called.attr in SAFE_METHODS:
                return
            if isinstance(owner, nodes.Name) and owner.name in aliases:
                return  # a macro of an imported template
        self.add(node, "такой вызов в тексте недоступен")

    def _imported(self, node: nodes.Import | nodes.FromImport | nodes.Include) -> None:
        names = node.template
        consts = ([names.value] if isinstance(names, nodes.Const) else []) + [
            item.value for item in getattr(names, "items", []) if isinstance(item, nodes.Const)
        ]
        for name in consts:
            if not isinstance(name, str):
                continue
            try:
                self.loader.get_source(self.env, name)
            except TemplateNotFound:
                self.add(node, f"шаблона {key_of(name)} нет")


def _private_const(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and str(node.value).startswith("_")


def referenced(tree: nodes.Template) -> set[str]:
    """Template paths that `tree` imports or includes by name."""
    found: set[str] = set()
    for node in tree.find_all((nodes.Import, nodes.FromImport, nodes.Include)):
        target = getattr(node, "template", None)
        items = target.items if isinstance(target, nodes.List | nodes.Tuple) else [target]
        found |= {
            i.value for i in items if isinstance(i, nodes.Const) and isinstance(i.value, str)
        }
    return found


_RENDERING = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="check")


def _render_bounded(env: GuardedEnvironment, path: str, context: Mapping[str, Any]) -> str:
    def chunks() -> Iterator[str]:
        return env.get_template(path).generate(**context)

    def run() -> str:
        out: list[str] = []
        size = 0
        for chunk in chunks():
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise SecurityError(f"текст длиннее {MAX_OUTPUT} знаков")
            out.append(chunk)
        return "".join(out).strip()

    return _RENDERING.submit(run).result(timeout=MAX_SECONDS)


def _render_problem(exc: BaseException, path: str) -> Problem:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(path):
            line = frame.lineno
    if isinstance(exc, concurrent.futures.TimeoutError):
        return Problem(None, f"текст считается дольше {MAX_SECONDS:g} с")
    if isinstance(exc, UndefinedError):
        return Problem(line, f"не хватает данных: {exc.message}")
    if isinstance(exc, SecurityError):
        return Problem(line, f"запрещено: {exc}")
    if isinstance(exc, RecursionError):
        return Problem(line, "слишком глубокая рекурсия")
    return Problem(line, f"ошибка при подстановке образца: {exc}")


class TemplateChecker:
    """Checks edits against the current texts (`loader`: published revisions in front of the
    files) and the keys' declarations."""

    def __init__(
        self,
        loader: BaseLoader,
        declarations: Mapping[str, Declaration],
        file_source: Callable[[str], str | None],
    ) -> None:
        self.loader = loader
        self.declarations = declarations
        self.file_source = file_source  # a key's file default (its filters are allowed)

    def every_key(self) -> list[str]:
        return sorted(key_of(p) for p in self.loader.list_templates() if p.endswith(".j2"))

    def check(self, key: str, text: str) -> Checked:
        result = Checked()
        path = template_path(key)
        if key not in self.every_key():
            result.problems.append(Problem(None, f"текста {key} нет"))
            return result
        if len(text) > MAX_SOURCE:
            result.problems.append(Problem(None, f"шаблон длиннее {MAX_SOURCE} знаков"))
            return result
        env = environment(ChoiceLoader([DictLoader({path: text}), self.loader]))
        try:
            tree = env.parse(text)
        except TemplateSyntaxError as exc:
            result.problems.append(Problem(exc.lineno, _syntax_message(exc.message or "")))
            return result
        declaration = declaration_of(self.declarations, key)
        result.problems += _Rules(tree, env.loader or self.loader, env).check(
            declaration.variables, self._filters(key)
        )
        if result.problems:
            return result
        self._render_samples(env, declaration, result, path)
        if declaration.kind == "partial":
            for other in self._dependents(env, path):
                self._render_samples(env, declaration_of(self.declarations, other), result, path)
        return result

    def _buttons(
        self, env: GuardedEnvironment, declaration: Declaration
    ) -> tuple[tuple[str, ...], ...]:
        """The labels of the buttons sent with the message, each from its own first sample
        (an edited label shows in the preview of the messages that carry it)."""
        rows = []
        for row in declaration.buttons:
            labels = []
            for key in row:
                sample = declaration_of(self.declarations, key).samples[0]
                try:
                    labels.append(html.unescape(_render_bounded(env, template_path(key), sample)))
                except Exception:  # a broken label is reported when that label is edited
                    labels.append(key)
            rows.append(tuple(labels))
        return tuple(rows)

    def _filters(self, key: str) -> frozenset[str]:
        """The safe filters, and those the key's own default uses (`common.chosen` shows the
        citizen's text with its formatting, already Telegram HTML: `safe`)."""
        default = self.file_source(key)
        if default is None:
            return SAFE_FILTERS
        env = environment(self.loader)
        used = {n.name for n in env.parse(default).find_all(nodes.Filter)}
        return SAFE_FILTERS | used

    def _dependents(self, env: GuardedEnvironment, path: str) -> list[str]:
        found = []
        for other in self.loader.list_templates():
            if other == path or not other.endswith(".j2"):
                continue
            source = self.loader.get_source(env, other)[0]
            if path in source and path in referenced(env.parse(source)):
                found.append(key_of(other))
        return found

    def _render_samples(
        self, env: GuardedEnvironment, declaration: Declaration, result: Checked, edited: str
    ) -> None:
        """Renders `declaration`'s samples; a failure's line is one of the `edited` text."""
        path = template_path(declaration.key)
        for number, sample in enumerate(declaration.samples, start=1):
            title = f"{declaration.key}, образец {number}"
            try:
                shown = _render_bounded(env, path, sample)
            except Exception as exc:  # every failure is the administrator's to see
                problem = _render_problem(exc, edited)
                result.problems.append(Problem(problem.line, f"{title}: {problem.message}"))
                continue
            if declaration.kind != "partial":
                for found in check_markup(shown, declaration.kind):
                    where = f"{title}, строка {found.line} результата"
                    result.problems.append(Problem(None, f"{where}: {found.message}"))
            buttons = self._buttons(env, declaration)
            result.previews.append(Preview(title, shown, declaration.kind, buttons))


def problems_text(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]
