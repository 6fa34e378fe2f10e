"""Demand surveys answered in the chat: user stories through the console."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_core
from bot.channels.console import ConsoleChat
from handlers.forms.model import Form, Option, Question, QuestionType, Text, form_to_json
from storage.models import ResponseStatus, SurveyStatus
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.test_first_conversation import labels, texts
from tests.test_profile import VALID_TAX_CODE

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def vi_en(vi: str, en: str) -> Text:
    return Text({"vi": vi, "en": en})


def demand_form(version: str = "1", *, extra: bool = False) -> Form:
    section = vi_en("Về cơ sở", "About the establishment")
    questions = [
        Question("sector", QuestionType.SELECT_ONE, vi_en("Ngành nghề chính?", "Main sector?"),
                 options=(Option("food", vi_en("Chế biến thực phẩm", "Food processing")),
                          Option("craft", vi_en("Thủ công mỹ nghệ", "Handicrafts")),
                          Option("other", vi_en("Khác (ghi rõ)", "Other (specify)"))),
                 required=True, section=section),
        Question("sector_other", QuestionType.TEXT, vi_en("Ngành nghề khác là gì?",
                                                          "Which other sector?"),
                 required=True, relevant="selected(${sector}, 'other')", other_of="sector",
                 section=section),
        Question("workers", QuestionType.INTEGER, vi_en("Số lao động?", "How many workers?"),
                 required=True, constraint=". >= 1 and . <= 10000",
                 constraint_message=vi_en("Số lao động từ 1 đến 10.000.",
                                          "Between 1 and 10,000 workers."), section=section),
        Question("needs", QuestionType.SELECT_MULTIPLE,
                 vi_en("Cơ sở cần hỗ trợ gì?", "What support is needed?"),
                 options=(Option("machinery", vi_en("Máy móc thiết bị", "Machinery")),
                          Option("training", vi_en("Đào tạo nghề", "Training")),
                          Option("fair", vi_en("Hội chợ triển lãm", "Trade fairs"))),
                 required=True, section=vi_en("Nhu cầu hỗ trợ", "Support needed")),
        Question("budget", QuestionType.DECIMAL,
                 vi_en("Dự kiến đầu tư máy móc bao nhiêu (đồng)?",
                       "Planned investment in machinery (VND)?"),
                 relevant="selected(${needs}, 'machinery')", constraint=". >= 0",
                 section=vi_en("Nhu cầu hỗ trợ", "Support needed")),
        Question("comment", QuestionType.TEXT, vi_en("Góp ý thêm?", "Any other comment?"),
                 section=vi_en("Nhu cầu hỗ trợ", "Support needed")),
    ]
    if extra:
        questions.append(Question("contact", QuestionType.PHONE,
                                  vi_en("Số điện thoại liên hệ?", "Contact phone?")))
    return Form(code="nhu_cau", version=version,
                title=vi_en("Khảo sát nhu cầu hỗ trợ", "Support needs survey"),
                questions=tuple(questions), languages=("vi", "en"))


async def publish(core, form: Form, *, open_it: bool = True) -> None:
    async with UnitOfWork(core.session_factory) as uow:
        await uow.surveys.add_version(code=form.code, version=form.version,
                                      title=dict(form.title.values), form=form_to_json(form),
                                      now=NOW, by="test")
        if open_it:
            await uow.surveys.set_status(form.code, SurveyStatus.OPEN)
        await uow.commit()


async def with_profile(chat: ConsoleChat, tax_code: str = VALID_TAX_CODE) -> None:
    await chat.say("/hoso")
    await chat.press("Tôi đồng ý")
    await chat.say("Cơ sở Mây tre Phú Nghĩa")
    await chat.say(tax_code)
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua")
    await chat.press("Tiểu thủ công nghiệp, thủ công mỹ nghệ")


async def responses(core) -> list:
    async with UnitOfWork(core.session_factory) as uow:
        session = uow.users._session
        from sqlalchemy import select

        from storage.models import SurveyResponse
        return list((await session.execute(select(SurveyResponse).order_by(
            SurveyResponse.id))).scalars())


async def test_no_open_survey(chat: ConsoleChat) -> None:
    assert "chưa có khảo sát nào" in texts(await chat.say("/khaosat")).lower()


async def test_surveys_are_in_the_main_menu(chat: ConsoleChat, core) -> None:
    await publish(core, demand_form())
    await chat.say("/menu")
    replies = await chat.press("Khảo sát của Trung tâm")
    assert "Các khảo sát đang mở" in texts(replies)


async def test_consent_and_establishment_come_first(chat: ConsoleChat, core) -> None:
    await publish(core, demand_form())
    replies = await chat.say("/khaosat")
    assert "chưa bắt đầu" in texts(replies)
    replies = await chat.press(labels(replies)[0])
    assert "đồng ý" in texts(replies).lower() and not await responses(core)
    await with_profile(chat, tax_code="")  # no tax code: which establishment?
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    assert "mã số thuế" in texts(replies)


async def test_the_profile_the_survey_asks_for_leads_back_to_the_survey(chat: ConsoleChat,
                                                                        core) -> None:
    """A new user sent to the profile by the survey is not left on the profile card (a new
    user on a phone was, 7 Dec 2026): once it names an establishment, a button goes back."""
    await publish(core, demand_form())
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Đọc và đồng ý")
    await chat.press("Tôi đồng ý")
    replies = await chat.say("Cơ sở Mây tre Phú Nghĩa")
    # On the way to the survey the tax code, which names the establishment, is needed (a
    # skipped one left the profile card without a way on, 8 Dec 2026).
    assert "Bỏ qua" not in labels(replies) and "Cần có mã số thuế" in texts(replies)
    replies = await chat.say(VALID_TAX_CODE)
    while "Đã lưu" not in texts(replies):  # phone and commune skipped
        replies = await chat.press("Bỏ qua") or await chat.press(
            "Tiểu thủ công nghiệp, thủ công mỹ nghệ")
    assert labels(replies)[0] == "Tiếp tục làm khảo sát"
    replies = await chat.press("Tiếp tục làm khảo sát")
    assert "hỏi lần lượt từng câu" in texts(replies) and len(await responses(core)) == 1


async def test_a_business_owner_answers_the_whole_survey(chat: ConsoleChat, core) -> None:
    await publish(core, demand_form())
    await with_profile(chat)
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    shown = texts(replies)
    assert "VỀ CƠ SỞ" in shown and "Câu 1/6" in shown and "Ngành nghề chính?" in shown
    replies = await chat.press("Khác (ghi rõ)")
    assert "Câu 2/6" in texts(replies) and "Ngành nghề khác" in texts(replies)
    replies = await chat.press("Quay lại")
    assert "Ngành nghề chính?" in texts(replies) and "Hiện tại: Khác" in texts(replies)
    replies = await chat.press("Thủ công mỹ nghệ")
    assert "Câu 2/5" in texts(replies)  # the specify question is no longer relevant
    replies = await chat.say("mười hai")
    assert "số nguyên" in texts(replies)
    replies = await chat.say("0")
    assert "Số lao động từ 1 đến 10.000." in texts(replies)
    replies = await chat.say("1.200")
    assert "Cơ sở cần hỗ trợ gì?" in texts(replies)
    await chat.press("Máy móc thiết bị")
    replies = await chat.press("Đào tạo nghề")
    assert "✓ Máy móc thiết bị" in labels(replies) and "✓ Đào tạo nghề" in labels(replies)
    replies = await chat.press("Xong")
    assert "Dự kiến đầu tư máy móc" in texts(replies)
    replies = await chat.say("1,5 tỷ")
    assert "Góp ý thêm?" in texts(replies)
    replies = await chat.press("Bỏ qua")
    summary = texts(replies)
    assert "Thủ công mỹ nghệ" in summary and "1.200" in summary
    assert "Máy móc thiết bị; Đào tạo nghề" in summary and "1.500.000.000" in summary
    replies = await chat.press("Gửi")
    assert "Cảm ơn" in texts(replies)
    (response,) = await responses(core)
    assert response.status == ResponseStatus.SUBMITTED
    assert response.progress["a"] == {"sector": "craft", "workers": 1200,
                                      "needs": ["machinery", "training"],
                                      "budget": 1500000000, "comment": None}
    assert response.metadata_["deviceid"] == "console" and response.metadata_["end"]


async def test_leaving_and_coming_back_resumes_at_the_same_question(
    chat: ConsoleChat, core, sqlite_url, locales_dir, knowledge_base
) -> None:
    await publish(core, demand_form())
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    replies = await chat.say("/huy")
    # Paused, not "cancelled": the answers so far are kept (a phone user feared them lost).
    assert "Đã tạm dừng" in texts(replies) and "/khaosat" in texts(replies)
    assert "Đã tạm dừng" not in texts(await chat.say("/huy"))  # nothing left to pause
    assert "Hướng dẫn" in labels(await chat.say("/menu"))
    # The server restarts: a new core on the same database.
    restarted = build_core(make_settings(sqlite_url, locales_dir), kb=knowledge_base)
    try:
        again = ConsoleChat(restarted.dispatcher, user_id="owner-1")
        replies = await again.say("/khaosat")
        assert "đang làm" in texts(replies)
        replies = await again.press(labels(replies)[0])
        assert "Số lao động?" in texts(replies) and "Câu 2/5" in texts(replies)
    finally:
        await restarted.close()


async def test_a_second_person_of_the_same_establishment(chat: ConsoleChat, core) -> None:
    await publish(core, demand_form())
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    await chat.say("15")
    await chat.press("Hội chợ triển lãm")
    await chat.press("Xong")
    await chat.press("Bỏ qua")
    await chat.press("Gửi")

    colleague = ConsoleChat(core.dispatcher, user_id="owner-2")
    await with_profile(colleague)  # the same tax code, another person
    listed = await colleague.say("/khaosat")
    # Not "not started" (then refused): answered by a colleague, to be seen.
    assert "đã có người của cơ sở trả lời" in texts(listed) and "chưa bắt đầu" not in texts(listed)
    assert labels(listed)[0].startswith("Xem: ")
    replies = await colleague.press(labels(listed)[0])
    assert "Cơ sở của anh/chị đã trả lời khảo sát này vào ngày" in texts(replies)
    assert "15" not in texts(replies) and "Hội chợ" not in texts(replies)  # never the content
    await colleague.press("Gửi ghi chú cho cán bộ")
    replies = await colleague.say("Bổ sung: chúng tôi cần thêm đào tạo.")
    assert "đã được chuyển" in texts(replies)
    assert len(await responses(core)) == 1


async def test_a_new_version_midway(chat: ConsoleChat, core) -> None:
    await publish(core, demand_form("1"))
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    await publish(core, demand_form("2", extra=True))  # keeps the open status
    await chat.say("5")
    await chat.press("Đào tạo nghề")
    await chat.press("Xong")
    replies = await chat.press("Bỏ qua")
    assert "Số điện thoại liên hệ" not in texts(replies)  # finishes on version 1
    await chat.press("Gửi")
    other = ConsoleChat(core.dispatcher, user_id="owner-3")
    await with_profile(other, tax_code="0300588569")
    await other.press(labels(await other.say("/khaosat"))[0])
    await other.press("Chế biến thực phẩm")
    await other.say("5")
    await other.press("Đào tạo nghề")
    await other.press("Xong")
    replies = await other.press("Bỏ qua")
    assert "Số điện thoại liên hệ" in texts(replies)  # a newcomer gets version 2
    first, second = await responses(core)
    async with UnitOfWork(core.session_factory) as uow:
        versions = [(await uow.surveys.get(r.survey_id)).version for r in (first, second)]
    assert versions == ["1", "2"]


async def test_answers_can_be_changed_after_submitting_until_closed(chat: ConsoleChat,
                                                                    core) -> None:
    await publish(core, demand_form())
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Chế biến thực phẩm")
    await chat.say("5")
    await chat.press("Đào tạo nghề")
    await chat.press("Xong")
    await chat.press("Bỏ qua")
    await chat.press("Gửi")
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    assert "Anh/chị đã gửi khảo sát này" in texts(replies)
    replies = await chat.press("Sửa một câu trả lời")
    await chat.press(next(label for label in labels(replies) if "Số lao động" in label))
    replies = await chat.say("7")
    assert "Vui lòng kiểm tra" in texts(replies)  # straight back to the summary
    await chat.press("Gửi")
    (response,) = await responses(core)
    assert response.progress["a"]["workers"] == 7
    assert response.status == ResponseStatus.SUBMITTED
    async with UnitOfWork(core.session_factory) as uow:
        await uow.surveys.set_status("nhu_cau", SurveyStatus.CLOSED)
        await uow.commit()
    assert "chưa có khảo sát nào" in texts(await chat.say("/khaosat"))
    replies = await chat.say("", payload="svl:nhu_cau")  # an old button of the list
    assert "Khảo sát này đã đóng" in texts(replies)


async def test_a_typed_number_is_the_answer_not_the_button_with_that_number(
        chat: ConsoleChat, core) -> None:
    """"1" typed for the number of workers once pressed Back, the only (first) button."""
    await publish(core, demand_form())
    await with_profile(chat)
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Thủ công mỹ nghệ")
    replies = await chat.say("1")
    assert "Cơ sở cần hỗ trợ gì?" in texts(replies)  # not back at question 1
    (response,) = await responses(core)
    assert response.progress["a"]["workers"] == 1
    # Where the buttons are the answers, a number still picks one.
    replies = await chat.say("2")
    assert "✓ Đào tạo nghề" in labels(replies)


async def test_the_shipped_survey_offers_the_profiles_name_and_sector(chat: ConsoleChat,
                                                                      core) -> None:
    """The establishment's name and sector were asked again with no Keep: a phone user typed
    the name twice, and the survey's name differed from the profile's (8 Dec 2026)."""
    from handlers.forms.xlsform import load_xlsform

    await publish(core, load_xlsform(Path("surveys/khao-sat-nhu-cau-ho-tro-khuyen-cong.xlsx")))
    await with_profile(chat)
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    assert "Hiện tại: Cơ sở Mây tre Phú Nghĩa" in texts(replies)
    await chat.press("Giữ nguyên")  # the name
    await chat.press("Giữ nguyên")  # the tax code
    await chat.press("Hộ kinh doanh")
    replies = await chat.say("an thanh")
    assert "Hiện tại: Hàng thủ công mỹ nghệ, tiểu thủ công nghiệp" in texts(replies)
