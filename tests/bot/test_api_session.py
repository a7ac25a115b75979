"""The bot's Bot API session sends JSON, uploads files as multipart, and answers exactly as
aiogram's own session does, errors included (against the fake Bot API over HTTP)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateForumTopic,
    EditMessageText,
    RestrictChatMember,
    SendMediaGroup,
    SendMessage,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    LinkPreviewOptions,
    ReplyParameters,
)

from bot.api_session import JsonBotApiSession, answers_unread
from tests.support.fake_telegram import FakeTelegram

CHAT = 600_001

# `telegram`, the fake Bot API server, is the fixture of tests/support/e2e.py.


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    session = JsonBotApiSession(
        api=TelegramAPIServer.from_base(f"http://127.0.0.1:{telegram.port}")
    )
    client = Bot(
        telegram.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    yield client
    await client.session.close()


async def test_a_message_goes_as_one_json_body(telegram: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Самарская область", callback_data="r:63")]]
    )
    sent = await bot.send_message(CHAT, "Выберите регион «ЦЗН» & <b>всё</b>", reply_markup=markup)

    [request] = telegram.requests
    assert request.content_type == "application/json"
    assert request.params == {  # typed values, the bot's default, no unset fields
        "chat_id": CHAT,
        "text": "Выберите регион «ЦЗН» & <b>всё</b>",
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Самарская область", "callback_data": "r:63"}]]
        },
    }
    assert sent.message_id > 0  # the answer is aiogram's Message, as before
    assert sent.chat.id == CHAT
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "r:63"


async def test_false_and_zero_are_sent_not_dropped(telegram: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "тихо", disable_notification=False, message_thread_id=0)

    [request] = telegram.requests
    assert request.params["disable_notification"] is False
    assert request.params["message_thread_id"] == 0


async def test_a_file_goes_as_multipart(telegram: FakeTelegram, bot: Bot) -> None:
    document = BufferedInputFile("Жалоба №1".encode(), filename="complaint.txt")
    sent = await bot.send_document(CHAT, document, caption="Ваша жалоба")

    [request] = telegram.requests
    assert request.content_type == "multipart/form-data"
    assert request.params["caption"] == "Ваша жалоба"
    assert request.params["chat_id"] == str(CHAT)
    assert sent.document is not None


async def test_errors_are_aiogram_s(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.blocked_chats.add(CHAT)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(CHAT, "вы заблокировали бота")

    telegram.rate_limited_edits = 1
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.edit_message_text(text="новый текст", chat_id=CHAT, message_id=1)
    assert refused.value.retry_after == 1

    with pytest.raises(TelegramNotFound):
        await bot.send_sticker(CHAT, "sticker-id")  # a method the fake does not serve


async def test_an_unread_answer_is_not_parsed_but_a_failure_still_raises(
    telegram: FakeTelegram, bot: Bot
) -> None:
    with answers_unread():
        sent = await bot.send_message(CHAT, "ответ не нужен")
        telegram.blocked_chats.add(CHAT)
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(CHAT, "вы заблокировали бота")
        telegram.rate_limited_edits = 1
        with pytest.raises(TelegramRetryAfter):
            await bot.edit_message_text(text="новый текст", chat_id=CHAT, message_id=1)
    assert sent is None
    assert [r.params["text"] for r in telegram.requests][:1] == ["ответ не нужен"]

    telegram.blocked_chats.clear()
    after = await bot.send_message(CHAT, "снова нужен")  # outside, the answer is parsed again
    assert after.chat.id == CHAT


async def test_an_unreachable_server_is_a_network_error(telegram: FakeTelegram, bot: Bot) -> None:
    await telegram.stop()
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(CHAT, "никого нет")


KEYS = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Да", callback_data="c:yes")],
        [InlineKeyboardButton(text="Сайт", url="https://trudvsem.ru")],
    ]
)
METHODS: list[TelegramMethod[Any]] = [
    SendMessage(chat_id=CHAT, text="Вопрос", reply_markup=KEYS),
    SendMessage(
        chat_id=CHAT,
        text="x",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_parameters=ReplyParameters(message_id=5, allow_sending_without_reply=False),
        disable_notification=False,
        message_thread_id=0,
    ),
    EditMessageText(chat_id=CHAT, message_id=7, text="Выбрано: <b>да</b>"),
    AnswerCallbackQuery(callback_query_id="17", show_alert=False, text=""),
    SetMyCommands(
        commands=[BotCommand(command="menu", description="Меню")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="ru",
    ),
    SetWebhook(url="https://bot.example/hook", allowed_updates=["message", "callback_query"]),
    RestrictChatMember(
        chat_id=-100,
        user_id=5,
        permissions=ChatPermissions(can_send_messages=False),
        until_date=datetime(2027, 1, 1, tzinfo=UTC),
    ),
    CreateForumTopic(chat_id=-100, name="Обращение №12", icon_color=7322096),
    CopyMessage(chat_id=-100, from_chat_id=CHAT, message_id=3, message_thread_id=12),
    SendMediaGroup(chat_id=CHAT, media=[InputMediaDocument(media="file-1", caption="скан")]),
]


@pytest.mark.parametrize("method", METHODS, ids=lambda m: type(m).__name__)
async def test_the_json_body_is_what_aiogram_makes_of_the_call(bot: Bot, method: Any) -> None:
    session = bot.session
    assert isinstance(session, JsonBotApiSession)
    body = session.build_json_body(bot, method)

    assert body is not None
    expected = {}  # aiogram's own preparation of the call's fields
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files={}, _dumps_json=False)
        if prepared is not None and prepared != "":
            expected[key] = prepared
    assert json.loads(body) == expected


async def test_a_file_inside_the_call_makes_it_multipart(bot: Bot) -> None:
    session = bot.session
    assert isinstance(session, JsonBotApiSession)
    photo = InputMediaPhoto(media=BufferedInputFile(b"png", filename="scan.png"))

    assert session.build_json_body(bot, SendMediaGroup(chat_id=CHAT, media=[photo])) is None


async def test_a_keyboard_s_body_is_kept_for_that_keyboard_only(bot: Bot) -> None:
    session = bot.session
    assert isinstance(session, JsonBotApiSession)

    def body(markup: InlineKeyboardMarkup) -> Any:
        sent = session.build_json_body(
            bot, SendMessage(chat_id=CHAT, text="?", reply_markup=markup)
        )
        assert sent is not None
        return json.loads(sent)["reply_markup"]

    def buttons(label: str) -> InlineKeyboardMarkup:
        button = InlineKeyboardButton(text=label, callback_data=label)
        return InlineKeyboardMarkup(inline_keyboard=[[button]])

    menu = buttons("Меню")
    assert (
        body(menu)
        == body(menu)
        == {"inline_keyboard": [[{"text": "Меню", "callback_data": "Меню"}]]}
    )
    # Other keyboards, made while the kept ones are gone (an id may come again), are their own.
    del menu
    for n in range(2_000):
        assert body(buttons(f"k{n}"))["inline_keyboard"][0][0]["text"] == f"k{n}"
