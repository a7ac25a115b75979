"""What administrators do with the bot's texts: list them, save an edit as a revision (checked
first), publish a revision, roll back to an earlier one or to the file's default, and move the
texts to and from a folder. The desk's pages, the JSON API and the command line all call these;
every change is audited here. Functions never commit: the caller's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.contexts import Declaration, declaration_of
from dialogs.render import TemplateFiles
from dialogs.template_check import MAX_SOURCE, Checked, Problem, TemplateChecker, template_path
from storage import template_store
from storage.models import AuditEvent, TemplatePublication, TemplateRevision

__all__ = ["MAX_SOURCE"]  # the longest text an editor may send, for the routes

GROUPS = {
    "common": "Общие тексты и кнопки",
    "consent": "Согласие и регистрация",
    "info": "Справка и контакты",
    "vacancies": "Вакансии",
    "offers": "Подборки вакансий",
    "complaints": "Жалобы",
    "operator": "Оператор и вопросы",
    "planned": "Разделы в работе",
}


class TextError(ValueError):
    """A refused change, in Russian for the administrator."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class MissingTextError(TextError):
    """No such key, or no such revision of it."""


@dataclass(frozen=True)
class TextRow:
    key: str
    group: str
    text: str
    revision: int | None  # the published revision's number; None: the file's default
    changed_by: str | None
    changed_at: datetime | None


async def checker(db: AsyncSession, files: TemplateFiles) -> TemplateChecker:
    """Checks against what the bot sends now: the published revisions in front of the files
    (an edit that imports a published partial is rendered with it)."""
    published = await template_store.published(db)
    loader = ChoiceLoader(
        [DictLoader({template_path(k): p.text for k, p in published.items()}), files.loader]
    )
    return TemplateChecker(loader, files.declarations, files.source)


def _known(files: TemplateFiles, key: str) -> None:
    if files.source(key) is None:
        raise MissingTextError(f"Текста {key} нет.")


async def listing(db: AsyncSession, files: TemplateFiles, search: str = "") -> list[TextRow]:
    published = await template_store.published(db)
    changes = await template_store.last_changes(db)
    needle = search.strip().casefold()
    rows = []
    for key in files.every_key():
        current = published.get(key)
        text = current.text if current else files.source(key) or ""
        if needle and needle not in key.casefold() and needle not in text.casefold():
            continue
        change = changes.get(key)
        rows.append(
            TextRow(
                key,
                files.group(key),
                text,
                current.number if current else None,
                change.by if change else None,
                change.at if change else None,
            )
        )
    return rows


@dataclass(frozen=True)
class TextDetail:
    key: str
    group: str
    default: str
    current: str
    revision: int | None
    declaration: Declaration
    revisions: list[TemplateRevision]
    publications: list[TemplatePublication]


async def detail(db: AsyncSession, files: TemplateFiles, key: str) -> TextDetail:
    _known(files, key)
    default = files.source(key) or ""
    published = (await template_store.published(db)).get(key)
    return TextDetail(
        key=key,
        group=files.group(key),
        default=default,
        current=published.text if published else default,
        revision=published.number if published else None,
        declaration=declaration_of(files.declarations, key),
        revisions=await template_store.revisions(db, key),
        publications=await template_store.publications(db, key),
    )


async def check(db: AsyncSession, files: TemplateFiles, key: str, text: str) -> Checked:
    _known(files, key)
    return (await checker(db, files)).check(key, _normalized(text))


def _normalized(text: str) -> str:
    """Browsers send CRLF from a textarea; the files use LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _audit(by: str, action: str, key: str, **details: object) -> AuditEvent:
    return AuditEvent(actor=by, action=action, subject=f"template:{key}"[:64], details=details)


async def save(
    db: AsyncSession, files: TemplateFiles, key: str, text: str, *, comment: str, by: str
) -> TemplateRevision:
    """A new revision of `key`, when the text passes every check (else TextError with the
    problems). It is not published yet."""
    text = _normalized(text)
    checked = await check(db, files, key, text)
    if not checked.ok:
        raise TextError("Текст не сохранён: исправьте ошибки.", checked.problems)
    revision = await template_store.add_revision(db, key, text, comment.strip(), by)
    db.add(_audit(by, "template:revision", key, revision=revision.number))
    return revision


async def publish(
    db: AsyncSession,
    files: TemplateFiles,
    key: str,
    number: int,
    *,
    by: str,
    action: str = "publish",
) -> TemplateRevision:
    """Makes revision `number` what the bot sends. It is checked again: what it imports may
    have changed since it was saved."""
    _known(files, key)
    revision = await template_store.revision(db, key, number)
    if revision is None:
        raise MissingTextError(f"У текста {key} нет ревизии {number}.")
    checked = (await checker(db, files)).check(key, revision.text)
    if not checked.ok:
        raise TextError("Эту ревизию сейчас нельзя опубликовать.", checked.problems)
    await template_store.publish(db, key, revision.id, action, by)
    db.add(_audit(by, f"template:{action}", key, revision=number))
    return revision


async def restore_default(db: AsyncSession, files: TemplateFiles, key: str, by: str) -> None:
    """The file's text again (a rollback "to default")."""
    _known(files, key)
    await template_store.publish(db, key, None, "rollback", by)
    db.add(_audit(by, "template:rollback", key, revision="default"))


async def export(db: AsyncSession, files: TemplateFiles, folder: Path) -> int:
    """Every text as the bot sends it now, as `<folder>/<key path>.j2`; returns how many."""
    rows = await listing(db, files)
    _write_texts(folder, {row.key: row.text for row in rows})
    return len(rows)


def _write_texts(folder: Path, by_key: dict[str, str]) -> None:
    for key, text in by_key.items():
        target = folder / template_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if text.endswith("\n") else text + "\n", "utf-8")


def _read_texts(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).with_suffix("").as_posix().replace("/", "."): path.read_text(
            "utf-8"
        )
        for path in sorted(folder.rglob("*.j2"))
    }


@dataclass
class Imported:
    saved: list[str]
    unchanged: int
    refused: dict[str, list[Problem]]
    unknown: list[str]


async def import_folder(
    db: AsyncSession, files: TemplateFiles, folder: Path, by: str, *, publish_them: bool
) -> Imported:
    """Each `.j2` under `folder` that differs from what the bot sends now becomes a revision
    (checked like an edit; a refused one is reported, the others are kept)."""
    result = Imported([], 0, {}, [])
    current = {row.key: row.text for row in await listing(db, files)}
    for key, found in _read_texts(folder).items():
        if key not in current:
            result.unknown.append(key)
            continue
        text = _normalized(found)
        if text.strip() == current[key].strip():
            result.unchanged += 1
            continue
        try:
            revision = await save(db, files, key, text, comment=f"импорт из {folder.name}", by=by)
            if publish_them:
                await publish(db, files, key, revision.number, by=by)
        except TextError as exc:
            result.refused[key] = exc.problems or [Problem(None, str(exc))]
            continue
        result.saved.append(key)
    return result
