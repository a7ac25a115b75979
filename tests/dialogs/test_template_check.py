"""The checks an administrator's edit must pass before it is saved: syntax, safety, variables,
a sample render, Telegram HTML and limits."""

from __future__ import annotations

import pytest

from app.build import template_files_of
from dialogs.render import TemplateFiles
from dialogs.telegram_html import check_markup
from dialogs.template_check import Checked, TemplateChecker

FILES: TemplateFiles = template_files_of()


def check(key: str, text: str) -> Checked:
    return TemplateChecker(FILES.loader, FILES.declarations, FILES.source).check(key, text)


def messages(checked: Checked) -> str:
    return " | ".join(str(problem) for problem in checked.problems)


def test_every_shipped_template_passes_its_own_checks() -> None:
    """The files are the defaults an administrator rolls back to: they must pass too."""
    failing = {}
    for key in FILES.every_key():
        checked = check(key, FILES.source(key) or "")
        if not checked.ok:
            failing[key] = messages(checked)
    assert failing == {}


def test_the_buttons_declared_for_previews_exist() -> None:
    keys = set(FILES.every_key())
    declared = {b for d in FILES.declarations.values() for row in d.buttons for b in row}
    assert declared
    assert declared - keys == set()


def test_a_message_is_previewed_with_its_buttons() -> None:
    checked = check("menu.main", FILES.source("menu.main") or "")
    labels = [label for row in checked.previews[0].buttons for label in row]
    assert "❓ Задать вопрос" in labels or any("вопрос" in label for label in labels)


def test_a_good_edit_passes_and_is_previewed_with_each_sample() -> None:
    checked = check("onboarding.done", "Готово, {{ name }}! Ваш регион: <b>{{ region }}</b>.")
    assert checked.ok, messages(checked)
    assert checked.previews
    assert "<b>" in checked.previews[0].html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% if name %}Привет", "строка 1: шаблон оборвался"),
        ("Привет,\n{{ name }", "строка 2:"),
        ("{{ nobody }}", "переменной «nobody» у этого текста нет (есть: name, region)"),
        ("{{ name|center(99999999) }}", "фильтр center недоступен"),
        ("{{ name|attr('__class__') }}", "фильтр attr недоступен"),
        ("{{ ''.__class__.__mro__ }}", "служебный атрибут __mro__ недоступен"),
        ("{{ cycler.__init__.__globals__ }}", "служебный атрибут __globals__ недоступен"),
        ("{{ self._TemplateReference__context }}", "служебный атрибут"),
        ("{{ self }}", "обращение к self недоступно"),
        ("{{ name['__class__'] }}", "служебный атрибут недоступен"),
        ("{% for i in range(100000000) %}{{ i }}{% endfor %}", "range() longer than 1000"),
        ("{{ 'a' * 1000000000 }}", "a repetition too long"),
        ("{{ 9 ** 999999 }}", "an exponent too large"),
        ("{{ 10 ** 60 ** 60 ** 60 }}", "a power of too large a number"),
        ("{{ '%0999999d' % 1 }}", "%-formatting"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "макрос f вызывает сам себя"),
        ("{% for x in [1] recursive %}{{ loop([]) }}{% endfor %}", "рекурсивный цикл"),
        ("{% extends 'menu/main.j2' %}", "extends"),
        ("{% import 'nowhere/at_all.j2' as x %}{{ name }}", "шаблона nowhere.at_all нет"),
        ("{{ name.format(1) }}", "такой вызов в тексте недоступен"),
        ("{% for i in range(1000) %}{% for j in range(1000) %}{{ region }}{% endfor %}"
         "{% endfor %}", "длиннее 20000"),
    ],
)  # fmt: skip
def test_refused_edits_name_the_problem(text: str, expected: str) -> None:
    checked = check("onboarding.done", text)
    assert not checked.ok
    assert expected in messages(checked)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>жирный", "тег <b> не закрыт"),
        ("<b>жирный</i>", "</i> закрывает тег, который не открыт"),
        ("<div>блок</div>", "Telegram не знает тег <div>"),
        ('<a href="https://x.ru" onclick="y">ссылка</a>', "нет атрибута onclick"),
        ("3 < 5", "знак < в тексте пишется как &lt;"),
        ("Рога & копыта", "знак & в тексте пишется как &amp;"),
        ("<br/>", "Telegram не примет"),
        ("   ", "текст пустой"),
        ("я" * 4097, "текст длиннее 4096 знаков (4097)"),
    ],
)
def test_telegram_html_problems(text: str, expected: str) -> None:
    assert expected in " | ".join(p.message for p in check_markup(text))


def test_what_telegram_accepts_passes() -> None:
    text = (
        '<b>ж</b> <i>к</i> <u>п</u> <s>з</s> <a href="https://trudvsem.ru">сайт</a> '
        '<code>1</code> <pre>2</pre> <span class="tg-spoiler">с</span> '
        "<blockquote>ц</blockquote> &lt;&gt;&amp;&quot;&#8470;"
    )
    assert check_markup(text) == []


def test_length_counts_what_the_reader_sees_in_utf16() -> None:
    assert check_markup("<b>" + "я" * 4096 + "</b>") == []
    assert check_markup("😀" * 2049)  # 4098 UTF-16 code units


def test_a_button_label_is_plain_and_short() -> None:
    checked = check("buttons.menu", "<b>Меню</b>")
    assert "уберите теги" in messages(checked)
    checked = check("buttons.menu", "М" * 65)
    assert "длиннее 64" in messages(checked)
    assert check("buttons.menu", "🏠 Главное меню").ok


def test_an_edit_of_a_partial_is_checked_through_the_templates_that_import_it() -> None:
    source = FILES.source("complaint._names") or ""
    broken = source.replace("{% macro ground(id) -%}", "{% macro ground(id) -%}{{ id.x.y }}")
    checked = check("complaint._names", broken)
    assert not checked.ok
    assert "complaint.summary" in messages(checked)
    assert check("complaint._names", source).ok


def test_the_key_must_exist() -> None:
    assert "текста no.such нет" in messages(check("no.such", "x"))
