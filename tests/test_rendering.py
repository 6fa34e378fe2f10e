"""Long replies are split to fit a channel's limit without cutting words."""

from bot.channels.rendering import render, split_text
from handlers.types import Reply


def test_short_text_is_one_part() -> None:
    assert split_text("Xin chào", 4096) == ["Xin chào"]


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    paragraph = "Hỗ trợ máy móc thiết bị. " * 100  # about 2,500 characters
    text = f"{paragraph}\n\n{paragraph}\n\n{paragraph}"
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())  # nothing lost
    assert parts[0].endswith("thiết bị.")  # cut at the paragraph break
    words = split_text("máy " * 3000, 2000)
    assert all(len(p) <= 2000 and p.split() == ["máy"] * len(p.split()) for p in words)


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 5000, 2000) == ["x" * 2000, "x" * 2000, "x" * 1000]


def test_without_a_paragraph_break_a_part_ends_with_a_sentence() -> None:
    sentence = "Cơ sở được hỗ trợ tối đa 50% chi phí máy móc. "
    text = (sentence * 80).strip()  # one paragraph, about 3,800 characters
    parts = split_text(text, 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith("máy móc.") for p in parts)
    assert " ".join(parts) == text


def test_choices_are_buttons_where_they_fit_and_a_numbered_list_elsewhere() -> None:
    from bot.channels.base import Capabilities
    from bot.channels.rendering import render
    from handlers.types import Choice, Reply

    reply = Reply("Anh/chị muốn làm gì?", choices=(Choice("Hỏi đáp", "qa"), Choice("Hồ sơ", "p")))
    (with_buttons,) = render(reply, Capabilities(max_text_length=2000, max_buttons=5))
    assert with_buttons.text == "Anh/chị muốn làm gì?" and len(with_buttons.buttons) == 2
    (numbered,) = render(reply, Capabilities(max_text_length=2000, max_buttons=0))
    assert numbered.text == "Anh/chị muốn làm gì?\n\n1. Hỏi đáp\n2. Hồ sơ" and not numbered.buttons
    (too_many,) = render(reply, Capabilities(max_text_length=2000, max_buttons=1))
    assert "\n2. Hồ sơ" in too_many.text
    long_reply = Reply("Nội dung. " * 300, choices=reply.choices)
    parts = render(long_reply, Capabilities(max_text_length=2000, max_buttons=5))
    assert len(parts) == 2 and not parts[0].buttons and len(parts[1].buttons) == 2


def test_a_question_wanting_a_typed_answer_shows_its_choices_as_words_not_numbers() -> None:
    """On a channel without buttons, "2" typed for "how many booths?" is the answer; the
    navigation choices must not be numbered, or the user would think "2" means Back."""
    from bot.channels.base import Capabilities
    from bot.channels.rendering import render
    from handlers.types import Choice, Reply

    reply = Reply("Câu 8/14\nTrung tâm hỗ trợ bao nhiêu gian hàng?",
                  choices=(Choice("Giữ nguyên", "fe:keep"), Choice("Quay lại", "fe:back")),
                  expects_text=True)
    (message,) = render(reply, Capabilities(max_text_length=2000, max_buttons=0))
    assert message.text.endswith("\n\n[Giữ nguyên]  [Quay lại]")
    assert "1." not in message.text


def test_a_typed_answer_question_keeps_its_flag_when_kept_or_queued() -> None:
    """Replies kept for a redelivery, and replies queued as text after a failed send, still
    show a typed-answer question's buttons as words to type, not as numbers."""
    from bot.delivery import as_text
    from handlers.stored_replies import from_stored, to_stored
    from handlers.types import Choice, Reply

    reply = Reply("Câu 2/3\nSố điện thoại?", choices=(Choice("Giữ nguyên", "fg:keep"),),
                  expects_text=True)
    assert from_stored(to_stored([reply])) == [reply]
    assert as_text(reply).endswith("\n\n[Giữ nguyên]")


def test_telegram_parts_fit_its_limit_counted_in_utf16_units() -> None:
    """Telegram counts an emoji as two: a staff answer under 4,096 characters but over 4,096
    UTF-16 units, with its "📌" bullets, was refused as too long and never reached the asker."""
    from bot.channels.rendering import utf16_length
    from bot.channels.telegram import CAPABILITIES

    text = "\n".join(f"📌 Mục {i}: " + "nội dung hỗ trợ " * 7 for i in range(33))
    text += "\n" + "x" * (4080 - len(text))
    assert len(text) <= 4096 < utf16_length(text)
    messages = render(Reply(text), CAPABILITIES)
    assert len(messages) == 2
    assert all(utf16_length(m.text) <= 4096 for m in messages)
