"""The classifier that gives the ranking a second opinion (handlers/kb/classifier.py)."""

from __future__ import annotations

from handlers.kb.analysis import words_of
from handlers.kb.classifier import QuestionClassifier

PHRASINGS = [
    ("Hỗ trợ gian hàng hội chợ", "Hội chợ trong nước có hỗ trợ gian hàng không?",
     "Booth support at trade fairs"),
    ("Hỗ trợ mua máy móc thiết bị", "Mua máy móc có được hỗ trợ không?",
     "Support for buying machinery"),
]
OUTSIDE = ["giá vàng hôm nay bao nhiêu", "vay ngân hàng lãi suất bao nhiêu",
           "lịch thi đấu bóng đá tối nay"]


def best(question: str) -> int | None:
    return QuestionClassifier(PHRASINGS, OUTSIDE).choice(words_of(question))[0]


def test_the_entry_whose_words_the_question_uses_is_picked():
    assert best("hội chợ có hỗ trợ gian hàng ko") == 0
    assert best("mua may moc co duoc ho tro khong") == 1  # typed without diacritics
    assert best("is there support for machinery") == 1


def test_a_question_like_those_outside_the_remit_picks_no_entry():
    assert best("gia vang hom nay") is None
    assert best("lãi suất vay ngân hàng hiện nay bao nhiêu") is None


def test_a_question_of_unknown_words_picks_no_entry():
    assert best("xyz qwerty") is None
    assert best("") is None


def test_the_lead_grows_with_the_words_that_tell_the_entries_apart():
    classifier = QuestionClassifier(PHRASINGS, OUTSIDE)
    short = classifier.choice(words_of("gian hàng"))
    long = classifier.choice(words_of("hội chợ trong nước có hỗ trợ gian hàng không"))
    assert short[0] == long[0] == 0
    assert 0 < short[1] < long[1]
    assert classifier.choice(words_of("xyz qwerty")) == (None, 0.0)


def test_heard_questions_teach_the_vietnamese_choice_and_not_the_english_one():
    """Heard questions (heard.yaml) are learnt for questions in Vietnamese; an English question
    is weighed against the phrasings alone, and so is small talk."""
    heard = [(), ("xưởng em làm nón lá thì xin được không",)]
    plain = QuestionClassifier(PHRASINGS, OUTSIDE)
    learnt = QuestionClassifier(PHRASINGS, OUTSIDE, ("cảm ơn", "ok"), heard)
    question = words_of("làm nón lá xin nổi")

    assert plain.choice(question) == (None, 0.0)  # none of its words in the phrasings
    assert learnt.choice(question)[0] == 1
    assert learnt.choice(question, "en") == plain.choice(question, "en") == (None, 0.0)
    assert learnt.small_talk_odds(question) == QuestionClassifier(
        PHRASINGS, OUTSIDE, ("cảm ơn", "ok")).small_talk_odds(question)
