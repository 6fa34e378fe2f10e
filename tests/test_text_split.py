"""Long replies are split to fit a channel's limit without cutting words."""

from bot.channels.text_split import split_text


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
