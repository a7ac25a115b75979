"""Administrators edit the bot's texts: the desk's editor, the JSON API and the folder
export/import, on a real migrated database; the renderer takes what is published and falls
back to the file's text (with a staff alert) when a published one fails."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin import texts
from app.build import renderer, template_files_of
from bot.template_refresh import TemplateRefresh
from storage.models import AuditEvent, StaffAlert, TemplateRevision
from tests.support.db_chat import Clock
from tests.support.desk import add_member, client, csrf_of, desk_app, log_in, logged_in_admin
from tests.support.e2e import ROOT
from tests.support.staff import staff_token

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
FILES = template_files_of()
NEW_MENU = "Новое главное меню: <b>выберите раздел</b>."


@pytest.fixture
async def admin_browser(sessions: async_sessionmaker[AsyncSession]) -> httpx.AsyncClient:
    return await logged_in_admin(sessions, Clock(NOW))


async def events(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with sessions() as session:
        found = await session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("template:%")).order_by(AuditEvent.id)
        )
        return [(event.action, event.subject) for event in found]


async def test_the_editor_saves_publishes_and_rolls_back(
    sessions: async_sessionmaker[AsyncSession], admin_browser: httpx.AsyncClient
) -> None:
    listing = await admin_browser.get("/desk/texts", params={"q": "menu.main"})
    assert listing.status_code == 200
    assert 'href="/desk/texts/menu.main"' in listing.text
    assert "по умолчанию" in listing.text

    page = await admin_browser.get("/desk/texts/menu.main")
    assert "Как увидит гражданин" in page.text
    csrf = csrf_of(page)

    # An edit with a mistake is refused, with the line, and the typed text is kept.
    refused = await admin_browser.post(
        "/desk/texts/menu.main/revisions",
        data={"csrf": csrf, "text": "Меню\n{{ nobody }}", "comment": "ошибка"},
    )
    assert refused.status_code == 422
    assert "строка 2: переменной «nobody» у этого текста нет" in refused.text
    assert "{{ nobody }}" in refused.text

    saved = await admin_browser.post(
        "/desk/texts/menu.main/revisions",
        data={"csrf": csrf, "text": NEW_MENU, "comment": "короче", "publish": "1"},
    )
    assert saved.status_code == 303
    page = await admin_browser.get(saved.headers["location"])
    assert "Ревизия 1 сохранена и опубликована" in page.text
    assert "Бот отправляет ревизию 1" in page.text

    bot = renderer(strict=True)
    refresh = TemplateRefresh(sessions, bot)
    assert await refresh.load()
    assert bot.text("menu.main", {"has_consent": True}) == NEW_MENU

    back = await admin_browser.post("/desk/texts/menu.main/rollback", data={"csrf": csrf_of(page)})
    assert back.status_code == 303
    assert await refresh.load()
    assert bot.text("menu.main", {"has_consent": True}) != NEW_MENU
    assert "Главное меню" in bot.text("menu.main", {"has_consent": True})
    assert await events(sessions) == [
        ("template:revision", "template:menu.main"),
        ("template:publish", "template:menu.main"),
        ("template:rollback", "template:menu.main"),
    ]


async def test_the_live_check_answers_with_problems_and_previews(
    admin_browser: httpx.AsyncClient,
) -> None:
    page = await admin_browser.get("/desk/texts/onboarding.done")
    csrf = csrf_of(page)
    good = await admin_browser.post(
        "/desk/texts/onboarding.done/check",
        json={"text": "Готово, {{ name }}! <a href='javascript:alert(1)'>x</a>"},
        headers={"X-CSRF-Token": csrf},
    )
    assert good.status_code == 200
    body = good.json()
    assert body["problems"] == []
    assert "javascript" not in body["previews"][0]["html"]  # the preview page stays safe
    bad = await admin_browser.post(
        "/desk/texts/onboarding.done/check",
        json={"text": "{{ ''.__class__.__mro__ }}"},
        headers={"X-CSRF-Token": csrf},
    )
    assert "служебный атрибут __mro__ недоступен" in bad.json()["problems"][0]
    without_csrf = await admin_browser.post(
        "/desk/texts/onboarding.done/check", json={"text": "x"}
    )
    assert without_csrf.status_code == 403


async def test_an_operator_cannot_open_the_editor(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_member(sessions, "anna")
    async with client(desk_app(sessions, Clock(NOW))) as browser:
        await log_in(browser, "anna")
        assert (await browser.get("/desk/texts")).status_code == 403
        assert (await browser.get("/desk/texts/menu.main")).status_code == 403


async def test_the_json_api(sessions: async_sessionmaker[AsyncSession]) -> None:
    token = await staff_token(sessions, "editor", role="admin")
    operator = await staff_token(sessions, "anna", role="operator")
    app = desk_app(sessions, Clock(NOW))
    async with client(app) as api:
        api.headers["Authorization"] = f"Bearer {token}"
        listing = await api.get("/templates", params={"search": "главное меню"})
        assert listing.status_code == 200
        assert "menu.main" in {row["key"] for row in listing.json()}

        refused = await api.post(
            "/templates/menu.main/revisions", json={"text": "<b>Меню", "comment": ""}
        )
        assert refused.status_code == 422
        assert "тег <b> не закрыт" in refused.json()["problems"][0]["message"]

        added = await api.post(
            "/templates/menu.main/revisions", json={"text": NEW_MENU, "comment": "API"}
        )
        assert added.status_code == 201
        assert added.json()["number"] == 1
        published = await api.post("/templates/menu.main/publish", json={"revision": 1})
        assert published.status_code == 200
        assert published.json()["current"] == NEW_MENU
        assert (
            await api.post("/templates/menu.main/publish", json={"revision": 9})
        ).status_code == 404
        assert (await api.get("/templates/no.such_key")).status_code == 404

        both = await api.post(
            "/templates/menu.main/rollback", json={"revision": 1, "to": "default"}
        )
        assert both.status_code == 422
        back = await api.post("/templates/menu.main/rollback", json={"to": "default"})
        assert back.json()["revision"] is None
        assert [p["action"] for p in back.json()["publications"]] == ["rollback", "publish"]

        api.headers["Authorization"] = f"Bearer {operator}"
        assert (await api.get("/templates")).status_code == 403


async def test_export_and_import_a_folder(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions() as db:
        assert await texts.export(db, FILES, tmp_path) == len(FILES.every_key())
    menu = tmp_path / "menu" / "main.j2"
    assert menu.read_text("utf-8").strip() == (FILES.source("menu.main") or "").strip()
    menu.write_text(NEW_MENU + "\n", "utf-8")
    (tmp_path / "consent" / "ask.j2").write_text("{{ nobody }}", "utf-8")
    (tmp_path / "no").mkdir()
    (tmp_path / "no" / "such.j2").write_text("x", "utf-8")
    async with sessions() as db:
        result = await texts.import_folder(db, FILES, tmp_path, "staff:root", publish_them=True)
        await db.commit()
    assert result.saved == ["menu.main"]
    assert list(result.refused) == ["consent.ask"]
    assert result.unknown == ["no.such"]
    async with sessions() as db:
        revisions = (await db.scalars(select(TemplateRevision))).all()
        assert [(r.key, r.comment) for r in revisions] == [
            ("menu.main", f"импорт из {tmp_path.name}")
        ]


async def test_a_published_text_that_fails_sends_the_default_and_alerts_staff(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A case the samples missed: the fourth letter of a name, where a name may be shorter."""
    risky = "С возвращением, {{ name }}! Ваша буква: {{ name[3] }}"
    async with sessions() as db:
        revision = await texts.save(
            db, FILES, "start.welcome_back", risky, comment="", by="staff:root"
        )
        await texts.publish(db, FILES, "start.welcome_back", revision.number, by="staff:root")
        await db.commit()
    bot = renderer(strict=True)
    refresh = TemplateRefresh(sessions, bot)
    await refresh.load()
    refresh.start()
    try:
        assert "Ваша буква: н" in bot.text("start.welcome_back", {"name": "Иван"})
        shown = bot.text("start.welcome_back", {"name": "Ян"})
        assert shown == renderer().text("start.welcome_back", {"name": "Ян"})  # the file's
        for _ in range(50):
            async with sessions() as db:
                alert = await db.scalar(
                    select(StaffAlert).where(StaffAlert.kind == "template_failed")
                )
            if alert is not None:
                break
            await asyncio.sleep(0.05)
        assert alert is not None
        assert alert.key == "start.welcome_back"
    finally:
        await refresh.stop()


def run_cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_CONFIG": str(ROOT / "config.yml"), "DATABASE__URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "app", "admin", "templates", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_command_line_exports_and_imports(tmp_path: Path) -> None:
    """What a region keeps in version control: export, change a file, import and publish."""
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'texts.db'}"
    folder = tmp_path / "texts"
    exported = run_cli(db_url, "export", str(folder))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(f"exported {len(FILES.every_key())} texts")
    (folder / "menu" / "main.j2").write_text(NEW_MENU, "utf-8")
    imported = run_cli(db_url, "import", str(folder), "--publish")
    assert imported.returncode == 0, imported.stderr
    assert "saved and published: menu.main" in imported.stdout
    (folder / "menu" / "main.j2").write_text("<b>сломано", "utf-8")
    refused = run_cli(db_url, "import", str(folder))
    assert refused.returncode == 1
    assert "refused: menu.main" in refused.stdout
    assert "тег <b> не закрыт" in refused.stdout
    again = run_cli(db_url, "export", str(tmp_path / "again"))
    assert again.returncode == 0
    assert (tmp_path / "again" / "menu" / "main.j2").read_text("utf-8").strip() == NEW_MENU
    assert run_cli(db_url, "import", str(tmp_path / "nowhere")).returncode == 1
