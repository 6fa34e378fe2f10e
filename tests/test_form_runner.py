"""The form runner's less common paths, through a survey in the console: notes, choice
filters, calculations, dates, typed multiple choice, Back at the start."""

from __future__ import annotations

from bot.channels.console import ConsoleChat
from handlers.forms.model import Form, Option, Question, QuestionType, Text
from tests.test_first_conversation import labels, texts
from tests.test_surveys_chat import publish, responses, with_profile


def vi(text: str) -> Text:
    return Text({"vi": text})


FORM = Form(code="thu", version="1", title=vi("Khảo sát thử"), questions=(
    Question("intro", QuestionType.NOTE, vi("Cảm ơn anh/chị đã tham gia.")),
    Question("kind", QuestionType.SELECT_ONE, vi("Loại sản phẩm?"), required=True,
             options=(Option("food", vi("Thực phẩm"), {"group": "a"}),
                      Option("craft", vi("Thủ công"), {"group": "b"}))),
    Question("item", QuestionType.SELECT_ONE, vi("Sản phẩm cụ thể?"), required=True,
             options=(Option("rice", vi("Bánh đa"), {"kind": "food"}),
                      Option("fish", vi("Nước mắm"), {"kind": "food"}),
                      Option("pot", vi("Gốm"), {"kind": "craft"})),
             choice_filter="kind = ${kind}"),
    Question("channels", QuestionType.SELECT_MULTIPLE, vi("Bán qua đâu?"), required=True,
             options=(Option("shop", vi("Cửa hàng")), Option("market", vi("Chợ")),
                      Option("online", vi("Trên mạng")))),
    Question("count", QuestionType.CALCULATE, calculation="count-selected(${channels})"),
    Question("since", QuestionType.DATE, vi("Bắt đầu bán từ ngày nào?"),
             constraint=". <= today()",
             constraint_message=vi("Ngày đó chưa tới.")),
    Question("ok", QuestionType.ACKNOWLEDGE, vi("Bạn xác nhận thông tin trên là đúng?")),
    Question("thanks", QuestionType.NOTE, vi("Trung tâm sẽ liên hệ lại với anh/chị.")),
))
CLOSING = "Trung tâm sẽ liên hệ lại với anh/chị."


async def started(chat: ConsoleChat, core, form: Form) -> list:
    """The form published as an open survey, and opened by an owner with a profile."""
    await publish(core, form)
    await with_profile(chat)
    return await chat.press(labels(await chat.say("/khaosat"))[0])


async def test_the_less_common_paths(chat: ConsoleChat, core) -> None:
    replies = await started(chat, core, FORM)
    assert "Cảm ơn anh/chị đã tham gia." in texts(replies)  # a note is shown with the first
    assert "Quay lại" not in labels(replies)
    replies = await chat.press("Thủ công")
    assert labels(replies)[:1] == ["Gốm"] and "Bánh đa" not in labels(replies)
    replies = await chat.press("Quay lại")
    assert "Loại sản phẩm?" in texts(replies)
    replies = await chat.press("Thực phẩm")
    assert "Bánh đa" in labels(replies) and "Gốm" not in labels(replies)
    await chat.press("Nước mắm")
    replies = await chat.say("1, 3")  # typed, for channels without buttons
    assert "✓ Cửa hàng" in labels(replies) and "✓ Trên mạng" in labels(replies)
    replies = await chat.press("Xong")
    assert "Bắt đầu bán từ ngày nào?" in texts(replies)
    assert "ngày/tháng/năm" in texts(await chat.say("hôm qua"))
    assert "Ngày đó chưa tới." in texts(await chat.say("01/01/2099"))
    replies = await chat.say("15/3/2020")
    assert "xác nhận" in texts(replies)
    replies = await chat.press("Đồng ý")
    assert "15/3/2020" in texts(replies)  # the review shows the date in Vietnamese (Babel)
    # The closing note is said once the answers are sent, not above the summary as if they
    # had been (a new user on a phone stopped there, 7 Dec 2026).
    assert CLOSING not in texts(replies)
    replies = await chat.press("Gửi")
    assert texts(replies).index(CLOSING) < texts(replies).index("đã được gửi")
    (response,) = await responses(core)
    assert response.progress["a"] == {
        "kind": "food", "item": "fish", "channels": ["shop", "online"], "count": 2,
        "since": "2020-03-15", "ok": "OK"}


async def test_multiple_choice_answers_typed_by_name(chat: ConsoleChat, core) -> None:
    """For channels without buttons: names without diacritics, a typo, a name matching none."""
    await started(chat, core, FORM)
    await chat.press("Thực phẩm")
    await chat.press("Nước mắm")
    replies = await chat.say("cua hang va tren mangg")
    assert "Đã ghi nhận: Cửa hàng." in texts(replies)
    assert labels(replies)[:2] == ["Trên mạng", "Xong"]  # did you mean…
    replies = await chat.press("Trên mạng")
    assert {"✓ Cửa hàng", "✓ Trên mạng"} <= set(labels(replies))
    replies = await chat.say("sieu thi")
    assert "Tôi không tìm thấy \"sieu thi\" trong các lựa chọn" in texts(replies)
    assert "✓ Cửa hàng" in labels(replies)  # what was ticked stays ticked
    replies = await chat.say("Chợ")  # a label typed exactly picks it, as a number would
    assert "✓ Chợ" in labels(replies)
    replies = await chat.press("Xong")
    assert "Bắt đầu bán từ ngày nào?" in texts(replies)


def test_labels_and_answers_are_shortened_at_a_words_end() -> None:
    """Buttons of the "change an answer" list were cut mid-word ("…bao nhiêu la…")."""
    from handlers.text import shorten

    label = "Cơ sở dự định đầu tư máy móc, thiết bị bao nhiêu lao động"
    short = shorten(label)
    assert len(short) <= 40 and short.endswith("…")
    assert short == "Cơ sở dự định đầu tư máy móc, thiết bị…"
    assert shorten("Ngắn gọn") == "Ngắn gọn"
    assert shorten("x" * 50, 10) == "x" * 9 + "…"  # one long word is still cut


async def test_a_single_answer_typed_by_part_of_its_name(chat: ConsoleChat, core) -> None:
    """"doanh nghiep" typed for "Doanh nghiệp nhỏ và vừa" was refused ("please tap")."""
    await started(chat, core, FORM)
    replies = await chat.say("thu cong")  # no diacritics, part of "Thủ công"
    assert "Sản phẩm cụ thể?" in texts(replies) and labels(replies)[:1] == ["Gốm"]
    replies = await chat.say("nuoc")  # "Nước mắm" is not among the craft's products
    assert "chọn" in texts(replies).lower() and "Sản phẩm cụ thể?" in texts(replies)


PIPED = Form(code="ong", version="1", title=vi("Khảo sát lao động"), questions=(
    Question("tong", QuestionType.INTEGER, vi("Tổng số lao động?"), required=True),
    Question("nu", QuestionType.INTEGER, vi("Trong ${tong} lao động, bao nhiêu là nữ?"),
             required=True, constraint=". <= ${tong}",
             constraint_message=vi("Không được lớn hơn tổng số lao động (${tong}).")),
    Question("ty_le", QuestionType.CALCULATE, calculation="${nu} div ${tong} * 100"),
    Question("kinh_phi", QuestionType.DECIMAL, vi("Kinh phí dự kiến (triệu đồng)"),
             required=True),
    Question("ghi_chu", QuestionType.NOTE, vi("Lao động nữ chiếm ${ty_le}%.")),
))


async def test_labels_and_messages_show_the_answers_they_refer_to(chat: ConsoleChat,
                                                                  core) -> None:
    """"${tong}" was shown as typed in labels, notes and constraint messages of real
    XLSForms; an amount typed "50 triệu" under "(triệu đồng)" was stored as 50 000 000."""
    await started(chat, core, PIPED)
    replies = await chat.say("40 người")
    assert "Trong 40 lao động, bao nhiêu là nữ?" in texts(replies)
    assert "Không được lớn hơn tổng số lao động (40)." in texts(await chat.say("45"))
    await chat.say("10")
    replies = await chat.say("khoảng 50 triệu")
    assert "Kinh phí dự kiến (triệu đồng)\n   → 50" in texts(replies)
    replies = await chat.press("Gửi")  # the closing note comes once the answers are sent
    assert "Lao động nữ chiếm 25%." in texts(replies)
    assert "${" not in texts(replies)
    (response,) = await responses(core)
    assert response.progress["a"]["kinh_phi"] == 50


YEARS = Form(code="nam", version="1", title=vi("Khảo sát"), questions=(
    Question("nam", QuestionType.INTEGER, vi("Năm thành lập?")),
    Question("doanh_thu", QuestionType.INTEGER, vi("Doanh thu?"),
             constraint=". >= 0", constraint_message=vi("Doanh thu không được âm")),
))


async def test_a_year_is_shown_as_a_year_and_a_message_ends_with_a_stop(chat: ConsoleChat,
                                                                         core) -> None:
    """"→ 2.005" in the review; "Doanh thu không được âm Hoặc bấm Bỏ qua…"."""
    await started(chat, core, YEARS)
    await chat.say("2005")
    assert "Doanh thu không được âm. Hoặc bấm Bỏ qua" in texts(await chat.say("-5"))
    replies = await chat.say("1500")
    assert "→ 2005" in texts(replies) and "→ 1.500" in texts(replies)


AT_MOST_TWO = Form(code="hai", version="1", title=vi("Khảo sát"), questions=(
    Question("can", QuestionType.SELECT_MULTIPLE, vi("Cần hỗ trợ gì?"), required=True,
             options=(Option("may", vi("Máy móc")), Option("dao_tao", vi("Đào tạo")),
                      Option("hoi_cho", vi("Hội chợ"))),
             constraint="count-selected(.) <= 2",
             constraint_message=vi("Chọn tối đa 2 nội dung.")),
    Question("ghi_chu", QuestionType.TEXT, vi("Ghi chú?")),
))


async def test_too_many_ticked_shows_the_choices_again_to_untick(chat: ConsoleChat,
                                                                 core) -> None:
    """Only "Quay lại" or "Bỏ qua" were left after "Chọn tối đa 2": no way to untick one."""
    await started(chat, core, AT_MOST_TWO)
    for label in ("Máy móc", "Đào tạo", "Hội chợ"):
        await chat.press(label)
    replies = await chat.press("Xong")
    assert "Chọn tối đa 2 nội dung." in texts(replies)
    assert {"✓ Máy móc", "✓ Đào tạo", "✓ Hội chợ", "Xong"} <= set(labels(replies))
    await chat.press("✓ Hội chợ")
    assert "Ghi chú?" in texts(await chat.press("Xong"))


TWO_PHONES = Form(code="dt", version="1", title=vi("Khảo sát"), questions=(
    Question("dien_thoai", QuestionType.PHONE, vi("Số điện thoại của cơ sở?")),
    Question("dien_thoai_khac", QuestionType.PHONE, vi("Số điện thoại người liên hệ khác?")),
))


async def test_only_the_first_phone_question_offers_the_profiles_number(chat: ConsoleChat,
                                                                         core) -> None:
    """"What's your father's phone number?" showed the profile's phone with Keep."""
    from tests.test_profile import fill_profile

    await publish(core, TWO_PHONES)
    await fill_profile(chat)  # with a phone
    replies = await chat.press(labels(await chat.say("/khaosat"))[0])
    assert "Hiện tại:" in texts(replies)
    replies = await chat.press("Giữ nguyên")
    assert "người liên hệ khác" in texts(replies) and "Hiện tại:" not in texts(replies)


async def test_changing_an_answer_asks_again_the_answers_it_breaks(chat: ConsoleChat,
                                                                   core) -> None:
    """Exports held "Washington, King, Dumont" (a Texas city) and 3 women of 2 workers: an
    answer changed after others were given never re-checked them."""
    await started(chat, core, PIPED)
    for answer in ("40", "10", "50"):
        replies = await chat.say(answer)
    assert "Vui lòng kiểm tra lại" in texts(replies)
    await chat.press("Sửa một câu trả lời")
    await chat.press("1. Tổng số lao động?")
    replies = await chat.say("5")  # now fewer than the 10 women
    assert "nên xin anh/chị trả lời lại" in texts(replies)
    assert "Trong 5 lao động, bao nhiêu là nữ?" in texts(replies)
    replies = await chat.say("3")
    assert "→ 5" in texts(replies) and "→ 3" in texts(replies)


async def test_changing_a_choice_asks_again_the_choice_it_filtered(chat: ConsoleChat,
                                                                   core) -> None:
    await started(chat, core, FORM)
    await chat.press("Thực phẩm")
    await chat.press("Nước mắm")
    await chat.say("1")
    await chat.press("Xong")
    await chat.say("15/3/2020")
    replies = await chat.press("Đồng ý")
    assert "→ Nước mắm" in texts(replies)
    await chat.press("Sửa một câu trả lời")
    await chat.press("1. Loại sản phẩm?")
    replies = await chat.press("Thủ công")
    assert "Sản phẩm cụ thể?" in texts(replies) and labels(replies)[:1] == ["Gốm"]
    replies = await chat.press("Gốm")
    assert "→ Gốm" in texts(replies) and "Nước mắm" not in texts(replies)


async def test_a_number_typed_after_a_refusal_is_the_answer_not_a_button(chat: ConsoleChat,
                                                                         core) -> None:
    """"0" refused, then "1" was read as the first button (Back, or Keep), and a wrong value
    was kept without a word (a staff member creating a fair, 7 Dec 2026)."""
    await started(chat, core, YEARS)
    await chat.say("2005")
    assert "không được âm" in texts(await chat.say("-5"))
    replies = await chat.say("1")
    assert "→ 2005" in texts(replies) and "→ 1\n" in texts(replies) + "\n"


GATED = Form(code="gated", version="1", title=vi("Khảo sát có điều kiện"), questions=(
    Question("report", QuestionType.SELECT_ONE, vi("Có gì cần báo cáo không?"), required=True,
             options=(Option("yes", vi("Có")), Option("no", vi("Không")))),
    Question("what", QuestionType.TEXT, vi("Báo cáo việc gì?"), required=True,
             relevant="${report} = 'yes'"),
    Question("age", QuestionType.INTEGER, vi("Cơ sở hoạt động bao nhiêu năm?"), required=True,
             constraint="${age} > 0 and ${age} < 120",
             constraint_message=vi("Số năm không hợp lệ.")),
))


async def test_a_sent_survey_edited_into_new_questions_asks_them_before_saving(
        chat: ConsoleChat, core) -> None:
    """A changed answer that made required questions relevant ended on the first of them with
    "changes saved", the response sent without them (UNHCR's weekly report, 8 Dec 2026)."""
    await started(chat, core, GATED)
    await chat.press("Không")
    await chat.say("12")
    await chat.press("Gửi")
    await chat.press(labels(await chat.say("/khaosat"))[0])
    await chat.press("Sửa một câu trả lời")
    await chat.press("1. Có gì cần báo cáo không?")
    replies = await chat.press("Có")
    assert "Báo cáo việc gì?" in texts(replies) and "Đã lưu các thay đổi" not in texts(replies)
    replies = await chat.say("Thiếu nguyên liệu")
    assert "Đã lưu các thay đổi" in texts(replies)
    (response,) = await responses(core)
    assert response.progress["a"]["what"] == "Thiếu nguyên liệu"


async def test_a_constraint_naming_its_own_question_checks_the_answer_typed(
        chat: ConsoleChat, core) -> None:
    """"${age} > 0" read the saved answer (none), so every age was refused (onadata's
    tutorial form)."""
    await started(chat, core, GATED)
    await chat.press("Không")
    assert "Số năm không hợp lệ" in texts(await chat.say("200"))
    assert "Vui lòng kiểm tra lại" in texts(await chat.say("12"))


DEFAULTS = Form(code="defaults", version="1", title=vi("Khảo sát có giá trị mặc định"), questions=(
    Question("nation", QuestionType.TEXT, vi("Quốc tịch?"), required=True, default="Việt Nam"),
    Question("count", QuestionType.INTEGER, vi("Số lao động?"), required=True, default="10"),
))


async def test_a_forms_default_is_offered_with_keep(chat: ConsoleChat, core) -> None:
    """The default column was ignored: "Moçambicana" had to be typed (Hluvukani's form)."""
    replies = await started(chat, core, DEFAULTS)
    assert "Hiện tại: Việt Nam" in texts(replies) and "Giữ nguyên" in labels(replies)
    replies = await chat.press("Giữ nguyên")
    assert "Hiện tại: 10" in texts(replies)
    replies = await chat.say("12")
    assert "→ Việt Nam" in texts(replies) and "→ 12" in texts(replies)


SECTIONS = Form(code="sections", version="1", title=vi("Khảo sát theo phần"), questions=(
    Question("n1", QuestionType.NOTE, vi("Điền cẩn thận."), section=vi("Thông tin chung")),
    Question("q1", QuestionType.SELECT_ONE, vi("Có gì cần báo cáo?"), section=vi(
        "Thông tin chung"), options=(Option("yes", vi("Có")), Option("no", vi("Không")))),
))


async def test_a_section_opening_with_a_note_shows_its_heading(chat: ConsoleChat, core) -> None:
    """Groups opening with a note never showed their name (UNHCR's weekly report)."""
    replies = await started(chat, core, SECTIONS)
    assert "THÔNG TIN CHUNG\nĐiền cẩn thận." in texts(replies)
    assert texts(replies).count("THÔNG TIN CHUNG") == 1


SCORES = Form(code="scores", version="1", title=vi("Thang điểm"), questions=(
    Question("nps", QuestionType.SELECT_ONE, vi("Anh/chị chấm mấy điểm?"), required=True,
             options=tuple(Option(str(n), vi(str(n))) for n in range(11))),
))


async def test_a_number_typed_to_buttons_that_are_numbers_is_that_label(chat: ConsoleChat,
                                                                         core) -> None:
    """"8" typed to buttons 0-10 picked the eighth, "7", without a word (CorrelAid's form)."""
    await started(chat, core, SCORES)
    replies = await chat.say("8")
    assert "→ 8" in texts(replies)


PICKY = Form(code="picky", version="1", title=vi("Ràng buộc lựa chọn"), questions=(
    Question("kind", QuestionType.SELECT_ONE, vi("Loại?"), required=True,
             constraint="not(selected(., 'a'))", constraint_message=vi("Không chọn A."),
             options=(Option("a", vi("A")), Option("b", vi("B")))),
))


async def test_a_single_choice_refused_by_its_rule_shows_its_choices_again(
        chat: ConsoleChat, core) -> None:
    await started(chat, core, PICKY)
    replies = await chat.press("A")
    assert "Không chọn A." in texts(replies) and "B" in labels(replies)
    assert "→ B" in texts(await chat.press("B"))
