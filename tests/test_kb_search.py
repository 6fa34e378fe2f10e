"""Searching the knowledge base the way business owners type on their phones."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import weakref
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from handlers.kb import Entry, Knowledge, KnowledgeBase, Localized, load_knowledge
from handlers.kb.analysis import (
    Vocabulary,
    british,
    phrasing_terms,
    question_parts,
    telex_spellings,
    words_of,
)
from handlers.kb.classifier import QuestionClassifier
from handlers.kb.evaluation import evaluate, load_eval_set
from handlers.kb.index import (
    AGREEMENT_NEEDED_BELOW,
    CONFIDENT_AGREED,
    CONFIDENT_FROM,
    LONG_CONFIDENT_FROM,
    SHORT_SURE_LEAD,
    SearchResult,
)

ROOT = Path(__file__).parent.parent
FIXTURE = Path(__file__).parent / "data" / "kb_fixture"
REAL_KB = ROOT / "handlers" / "kb" / "data"
EVAL_SETS = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_directory(FIXTURE)


def content_only(directory: Path = REAL_KB) -> KnowledgeBase:
    """The knowledge base without its asked and heard questions (asked.yaml, heard.yaml), which
    hold the stories of the evaluation sets: to test how the search reads a story it has not
    learnt."""
    knowledge = load_knowledge(directory)
    return KnowledgeBase(replace(knowledge, entries=tuple(
        replace(entry, asked=Localized((), ()), heard=Localized((), ()))
        for entry in knowledge.entries)))


def answer_id(kb: KnowledgeBase, text: str, lang: str = "vi") -> str | None:
    result = kb.search(text, lang)
    return result.answer.id if result.answer else None


@pytest.mark.parametrize(
    "question",
    [
        "hội chợ trong nước có hỗ trợ tiền thuê gian hàng không",
        "hoi cho trong nuoc co ho tro tien thue gian hang khong",
        "HỘI CHỢ   trong nước hỗ trợ gian\u200bhàng?",
    ],
)
def test_with_and_without_diacritics(kb: KnowledgeBase, question: str):
    result = kb.search(question)

    assert result.answer is not None and result.answer.id == "hoi-cho-gian-hang"
    assert result.confident


def test_right_diacritics_win_over_a_folded_lookalike():
    def entry(entry_id: str, title: str) -> Entry:
        return Entry(entry_id, "t", Localized(title, title), Localized(title, title))

    kb = KnowledgeBase(Knowledge((), (entry("ban-hang", "Bán hàng trực tuyến"),
                                      entry("ban-hang-2", "Bạn hàng trực tuyến"))))

    assert answer_id(kb, "bán hàng trực tuyến") == "ban-hang"
    assert answer_id(kb, "bạn hàng trực tuyến") == "ban-hang-2"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("khuyen cng la gi", "khuyen-cong-la-gi"),  # letter missing
        ("khuyne cong la gi", "khuyen-cong-la-gi"),  # letters swapped
        ("hổ trợ mua máy móc bao nhiêu", "may-moc-muc-ho-tro"),  # wrong accent
        ("hotro gian hang hoi cho", "hoi-cho-gian-hang"),  # words run together
        ("khuyeen coong la gi", "khuyen-cong-la-gi"),  # keys held down, in two words in a row
        ("khuyeens coong laf gif", "khuyen-cong-la-gi"),  # Telex with the input method off
        ("mo hinh trinh dien la gi", "mo-hinh-trinh-dien"),
    ],
)
def test_typos(kb: KnowledgeBase, question: str, expected: str):
    assert answer_id(kb, question) == expected


@pytest.mark.parametrize(("typed", "meant"), [
    ("trowj", "trợ"), ("laf", "là"), ("gif", "gì"), ("coong", "công"), ("nhuwngx", "những"),
    ("dduwowcj", "được"), ("truowngf", "trường"), ("xuowngr", "xưởng"), ("taapj", "tập"),
])
def test_a_word_typed_in_telex_may_stand_for_its_syllable(typed: str, meant: str):
    assert meant in telex_spellings(typed)


@pytest.mark.parametrize("typed", ["vay", "hs", "cnc", "khuyen", "ko"])
def test_a_word_with_no_telex_in_it_stands_for_nothing_else(typed: str):
    assert telex_spellings(typed) == []


def test_only_words_the_content_does_not_know_are_read_as_telex():
    index = content_only()._content.index
    # "max" is the synonym of tối đa, not mã; "shopee", "ads" and "bus" stand for no word of
    # the content, whatever Telex would make of them.
    typed = "Mays mocs 2 tỷ ho tro max bn, quang cao shopee ads di bus"
    assert index.untelexed(typed) == "máy móc 2 tỷ ho tro max bn, quang cao shopee ads di bus"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("CNNT ở phường có dc ko", "cnnt-dia-ban"),
        ("DNNVV la gi", "doi-tuong-dnnvv"),
        ("bn lao dong thi la dn nho", "doi-tuong-dnnvv"),
        ("mua thiết bị đc hỗ trợ bn", "may-moc-muc-ho-tro"),
        ("thue booth hoi cho", "hoi-cho-gian-hang"),  # an English word in a Vietnamese question
        ("KC là gì z ad", "khuyen-cong-la-gi"),
    ],
)
def test_synonyms_and_abbreviations(kb: KnowledgeBase, question: str, expected: str):
    assert answer_id(kb, question) == expected


@pytest.mark.parametrize(("typed", "written"), [
    # Chat abbreviations the eighth blind set used (6 Dec 2026): "max" was even "corrected"
    # to "may", and "mst" and "qg" meant nothing to the search.
    ("kc qg", "khuyến công quốc gia"), ("qg", "quốc gia"), ("max", "tối đa"),
    ("mst", "mã số thuế"), ("tw", "trung ương"),
    ("ttg", "thủ tướng"), ("attp", "an toàn thực phẩm"), ("nsnn", "ngân sách nhà nước"),
    ("lđ", "lao động"),
])
def test_chat_abbreviations_stand_for_the_words_of_the_content(typed: str, written: str):
    vocabulary = Vocabulary.from_file()

    def concepts(text: str) -> list[str]:
        """The synonym groups the words stand for ("khuyen_cong_quoc_gia")."""
        return [token.folded for run in vocabulary.analyze(words_of(text), "vi", {})
                for token in run if "_" in token.folded]

    assert len(concepts(written)) == 1 and concepts(typed) == concepts(written)


def test_a_plain_word_is_not_taken_for_a_stop_word_the_content_spells_otherwise(
    kb: KnowledgeBase,
):
    # "cho" is a stop word, but typed without diacritics it may be chợ (market, fair).
    assert answer_id(kb, "cho nuoc ngoai ve may bay") == "hoi-cho-nuoc-ngoai"
    assert answer_id(kb, "ho tro ve may bay cho nuoc ngoai") == "hoi-cho-nuoc-ngoai"


def test_an_unknown_abbreviation_is_not_guessed(kb: KnowledgeBase):
    assert answer_id(kb, "xyz qwe") is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how much support can I get for machinery", "may-moc-muc-ho-tro"),
        ("what is a demonstration model?", "mo-hinh-trinh-dien"),
        ("will you pay my plane ticket for an exhibition abroad", "hoi-cho-nuoc-ngoai"),
    ],
)
def test_english(kb: KnowledgeBase, question: str, expected: str):
    assert answer_id(kb, question, lang="en") == expected


def test_english_question_from_a_vietnamese_user(kb: KnowledgeBase):
    assert answer_id(kb, "what is a demonstration model", lang="vi") == "mo-hinh-trinh-dien"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # The content is in British English: "program" was a word it never uses, which
        # turned the question away (qa_blind22).
        ("What exactly is the khuyen cong program?", "khuyen-cong-la-gi"),
        ("Who organized the trade fair for northern rural industry?", "hoi-cho-khu-vuc-phia-bac"),
    ],
)
def test_american_spelling(question: str, expected: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question, "en")

    assert result.answer is not None and result.answer.id == expected and result.confident


def test_american_spellings_meet_the_british_ones():
    assert british("organized") == "organised"
    assert british("programs") == "programmes"
    assert british("recognizing") == "recognising"
    # Too short to be a verb in -ize, or no -ize at all.
    assert [british(word) for word in ("size", "prize", "citizen", "seize")] == [
        "size", "prize", "citizen", "seize"]


@pytest.mark.parametrize("chat_lang", ["vi", "en"])
def test_an_english_question_naming_the_programme_in_vietnamese(chat_lang: str):
    # As many English words as Vietnamese ones: read both ways, answered in English.
    result = KnowledgeBase.from_directory(REAL_KB).search("What is khuyến công?", chat_lang)

    assert result.answer is not None and result.answer.id == "khuyen-cong-la-gi"
    assert result.confident and result.lang == "en"


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("giá vàng hôm nay", "vi"),
        ("thời tiết Hải Phòng ngày mai thế nào", "vi"),
        ("cho em hỏi tỷ số bóng đá", "vi"),
        ("how to cook pho", "en"),
        ("what will the weather be like tomorrow", "en"),
        ("là gì vậy ạ", "vi"),
        ("", "vi"),
    ],
)
def test_out_of_scope_is_refused(kb: KnowledgeBase, question: str, lang: str):
    result = kb.search(question, lang)

    assert result.answer is None
    assert not result.confident
    assert result.alternatives == []


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Ad ơi khuyến công là cái gì vậy ạ, nghe mọi người nói mãi mà em chưa hiểu lắm", "vi"),
        ("khuyen cong la gi vay, nghe moi nguoi noi mai ma em chua hieu lam", "vi"),
        ("What is industrial promotion? My neighbours keep talking about it", "en"),
    ],
)
def test_a_question_followed_by_chatter_is_answered(kb: KnowledgeBase, question: str, lang: str):
    result = kb.search(question, lang)

    assert result.answer is not None and result.answer.id == "khuyen-cong-la-gi"
    assert result.score >= 0.5  # the question's own clause, not the blur of the whole


def test_chatter_alone_stays_out_of_scope(kb: KnowledgeBase):
    result = kb.search("nghe mọi người nói mãi, mà em chưa hiểu lắm")

    assert result.answer is None


def test_vague_question_is_answered_without_confidence(kb: KnowledgeBase):
    result = kb.search("hỗ trợ")

    assert result.answer is not None
    assert not result.confident
    assert len(result.alternatives) >= 2


def test_alternatives_are_other_entries_in_score_order(kb: KnowledgeBase):
    result = kb.search("hỗ trợ hội chợ", limit=2)

    assert result.answer is not None
    assert len(result.alternatives) <= 2
    assert result.answer not in [entry for entry, _ in result.alternatives]
    scores = [result.score] + [score for _, score in result.alternatives]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)


def test_browse_and_get(kb: KnowledgeBase):
    assert [topic.id for topic in kb.topics()] == ["chinh-sach", "hoi-cho", "may-moc"]
    assert [e.id for e in kb.entries_in("hoi-cho")] == ["hoi-cho-gian-hang", "hoi-cho-nuoc-ngoai"]
    assert kb.get("mo-hinh-trinh-dien").topic == "may-moc"
    assert kb.get("khong-co") is None


def test_extra_entries_are_searched_and_cannot_replace_file_entries(caplog):
    kb = KnowledgeBase.from_directory(FIXTURE)
    staff_answer = Entry(
        id="qa-17",
        topic="hoi-cho",
        title=Localized("Hạn đăng ký gian hàng hội chợ Xứ Đông", "Booth deadline, Xu Dong fair"),
        text=Localized("Hạn đăng ký là 30/9.", "The deadline is 30 September."),
        questions=Localized(("khi nào hết hạn đăng ký hội chợ xứ đông",), ()),
        source="staff",
    )
    clash = Entry("khuyen-cong-la-gi", "x", Localized("Khác", "Other"), Localized("-", "-"))
    assert answer_id(kb, "han dang ky hoi cho xu dong") != "qa-17"

    with caplog.at_level(logging.WARNING):
        kb.set_extra_entries([staff_answer, clash])

    assert answer_id(kb, "han dang ky hoi cho xu dong") == "qa-17"
    assert kb.get("qa-17") is staff_answer
    assert kb.get("khuyen-cong-la-gi").title.vi == "Khuyến công là gì?"
    assert "khuyen-cong-la-gi" in caplog.text
    assert "qa-17" in [entry.id for entry in kb.entries_in("hoi-cho")]

    kb.set_extra_entries([])
    assert kb.get("qa-17") is None


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_quick_analysis_of_content_matches_the_full_one(lang: str):
    vocabulary = Vocabulary.from_file()
    entries = KnowledgeBase.from_directory(FIXTURE).entries()
    texts = [
        "CNNT được hỗ trợ máy móc, thiết bị; hội chợ triển lãm (gian hàng) ko mất tiền.",
        "Rural-industry establishments get booths at trade fairs and machines, not loans.",
        *(entry.text.get(lang) for entry in entries),
        *(question for entry in entries for question in entry.questions.get(lang)),
    ]
    words = [words_of(text) for text in texts]
    runs = [vocabulary.analyze(text, lang, None) for text in words]
    fields = [words[:3], words[3:4], [], words[4:]]  # analysed together, counted apart
    spans = [(0, 3), (3, 4), (4, 4), (4, len(words))]

    text_fields = vocabulary.content_terms(fields, lang, phrasing=False)
    for field, (start, end) in zip(text_fields, spans, strict=True):
        in_field = runs[start:end]
        assert Counter(field.terms) == Counter(t.folded for r in in_field for run in r for t in run)
        assert field.length == sum(len(run) for r in in_field for run in r)

    phrasing_fields = vocabulary.content_terms(fields, lang, phrasing=True)
    for field, (start, end) in zip(phrasing_fields, spans, strict=True):
        expected = [phrasing_terms(r) for r in runs[start:end]]
        assert Counter(field.terms) == Counter(t for terms, _ in expected for t in terms)
        assert Counter(field.accents) == Counter(a for _, accents in expected for a in accents)
        assert field.phrasings == [frozenset(terms) for terms, _ in expected if terms]


def test_vocabulary_refuses_yaml_booleans(tmp_path: Path):
    path = tmp_path / "synonyms.yaml"
    path.write_text("synonyms: [[có, yes]]\nstop_words: {en: [no]}\nfinal_particles: {}\n")

    with pytest.raises(ValueError, match="put it in quotes"):
        Vocabulary.from_file(path)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rewrite(path: Path, old: str, new: str) -> None:
    """Edit a file the way an editor does, making sure its modification time moves."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    stat = path.stat()
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_reload_picks_up_an_edit_and_keeps_old_content_when_broken(tmp_path: Path, caplog):
    directory = tmp_path / "kb"
    shutil.copytree(FIXTURE, directory)
    clock = FakeClock()
    kb = KnowledgeBase.from_directory(directory, clock=clock)
    fairs = directory / "hoi-cho.yaml"
    assert kb.reload_if_changed() is False  # nothing changed

    rewrite(fairs, "Hội chợ ở nước ngoài và vé máy bay", "Hội chợ quốc tế, vé máy bay, phiên dịch")
    assert kb.reload_if_changed() is False  # checked less than a second ago
    clock.now += 1.5
    assert kb.reload_if_changed() is True
    assert kb.get("hoi-cho-nuoc-ngoai").title.vi == "Hội chợ quốc tế, vé máy bay, phiên dịch"
    assert answer_id(kb, "phien dich hoi cho quoc te") == "hoi-cho-nuoc-ngoai"

    rewrite(fairs, "topic: hoi-cho", "topic: [hoi-cho")
    clock.now += 1.5
    with caplog.at_level(logging.WARNING):
        assert kb.reload_if_changed() is False
    assert "hoi-cho.yaml" in caplog.text and "YAML syntax error" in caplog.text
    assert kb.get("hoi-cho-nuoc-ngoai").title.vi == "Hội chợ quốc tế, vé máy bay, phiên dịch"
    assert answer_id(kb, "booth hoi cho") == "hoi-cho-gian-hang"

    caplog.clear()
    clock.now += 1.5
    assert kb.reload_if_changed() is False  # the same broken files are not re-read
    assert caplog.text == ""

    rewrite(fairs, "topic: [hoi-cho", "topic: hoi-cho")
    clock.now += 1.5
    assert kb.reload_if_changed() is True


def test_reload_notices_a_new_file(tmp_path: Path):
    directory = tmp_path / "kb"
    shutil.copytree(FIXTURE, directory)
    kb = KnowledgeBase.from_directory(directory, check_interval=0)
    new_entry = yaml.safe_load((FIXTURE / "hoi-cho.yaml").read_text(encoding="utf-8"))
    new_entry["entries"] = new_entry["entries"][:1]
    new_entry["entries"][0].update(id="hoi-cho-xu-dong", related=[],
                                   questions={"vi": ["hội chợ xứ đông khai mạc khi nào"]})
    (directory / "xu-dong.yaml").write_text(yaml.safe_dump(new_entry, allow_unicode=True),
                                            encoding="utf-8")

    assert kb.reload_if_changed() is True
    assert answer_id(kb, "hoi cho xu dong khai mac khi nao") == "hoi-cho-xu-dong"


async def test_background_rebuilds_keep_both_an_edit_and_staff_answers(tmp_path: Path):
    """A reload and a staff-answer update indexed in worker threads at the same time: the
    event loop keeps running, and neither change is lost."""
    directory = tmp_path / "kb"
    shutil.copytree(FIXTURE, directory)
    kb = KnowledgeBase.from_directory(directory, check_interval=0)
    staff_answer = Entry(
        id="staff-1", topic="hoi-cho", title=Localized("Hội chợ Xứ Đông", "Xu Dong fair"),
        text=Localized("Hạn đăng ký là 30/9.", "The deadline is 30 September."),
        questions=Localized(("hạn đăng ký hội chợ xứ đông",), ()), source="staff")
    rewrite(directory / "hoi-cho.yaml", "Hội chợ ở nước ngoài và vé máy bay",
            "Hội chợ quốc tế, vé máy bay, phiên dịch")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    reloaded, _ = await asyncio.gather(kb.reload_in_background_if_changed(),
                                       kb.set_extra_entries_in_background([staff_answer]))
    ticker.cancel()

    assert reloaded is True
    assert ticks > 0  # other coroutines ran while the index was built
    assert kb.get("hoi-cho-nuoc-ngoai").title.vi == "Hội chợ quốc tế, vé máy bay, phiên dịch"
    assert answer_id(kb, "han dang ky hoi cho xu dong") == "staff-1"


def test_a_replaced_index_is_freed_at_once():
    """No reference cycles in an index: the old one goes as soon as it is replaced, not at
    some later garbage collection (which would pause the bot for a large index)."""
    kb = KnowledgeBase.from_directory(FIXTURE)
    kb.search("hỗ trợ hội chợ")  # fills the caches computed on first use
    old_index = weakref.ref(kb._content.index)
    gc.disable()
    try:
        kb.set_extra_entries([])
        assert old_index() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("eval_set", "floor"),
    [
        # The set the ranking was tuned on: just below the targets (0.90, 0.97, 0.90).
        ("qa_eval", {"top1": 0.88, "top3": 0.95, "out_of_scope_refused": 0.88}),
        # Sets written without seeing the entries' sample questions: what to expect of
        # questions nobody has seen yet (one out-of-scope question is 7% of these).
        ("qa_holdout", {"top1": 0.88, "top3": 0.93, "out_of_scope_refused": 0.80}),
        ("qa_blind", {"top1": 0.88, "top3": 0.93, "out_of_scope_refused": 0.80}),
        # The dev half of the second blind set (issue 12), tuned on: direct answers.
        ("qa_blind2_dev", {"top1": 0.90, "direct": 0.78, "out_of_scope_refused": 1.0}),
    ],
)
def test_evaluation_sets_meet_the_floor(eval_set: str, floor: dict[str, float]):
    figures, _ = evaluate(KnowledgeBase.from_directory(REAL_KB),
                          load_eval_set(EVAL_SETS / f"{eval_set}.yaml"))

    below = {name: figures[name] for name, value in floor.items() if figures[name] < value}
    assert not below, figures
    # Never a confident answer to a question the centre does not handle; rarely a wrong one.
    assert figures["out_of_scope_answered_confidently"] == 0.0, figures
    assert figures["confidently_wrong"] <= 0.015, figures


def test_questions_not_learnt_meet_the_floor():
    """The sets above are learnt (asked.yaml), so their figures are recall; each set answered by
    a knowledge base that learnt every other set and not this one (benchmarks/
    qa_leave_one_out.py) says what new questions get: a floor a little below the figures of 7
    Dec 2026 (direct 0.842, 0.767 and 0.789, wrong 0.024, 0.020 and 0.014 for the sets of
    asked.yaml, of heard.yaml and the blind ones), and never an off-topic question answered."""
    script = ROOT / "benchmarks" / "qa_leave_one_out.py"
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                               check=True)
    report = json.loads(completed.stdout)
    for group, floor, wrong, off_topic in (("left_out", 0.80, 0.03, 200),
                                           ("heard", 0.72, 0.025, 400), ("blind", 0.70, 0.025, 30)):
        pooled = report[group]["pooled"]
        assert pooled["direct"] >= floor and pooled["confidently_wrong"] <= wrong, pooled
        assert pooled["off_topic_answered"] == 0 and pooled["off_topic"] >= off_topic, pooled


@pytest.mark.parametrize(("question", "area"), [
    # The near-domain questions of issue 12 that used to get a confident answer.
    ("hạn nộp thuế khi nào", "tax"),
    ("lãi suất vay ngân hàng bao nhiêu", "bank"),
    ("thuế khoán hộ kinh doanh", "tax"),
    ("hỗ trợ covid cho hộ kinh doanh năm 2021", "covid"),
    ("muc dong bhxh cho cong nhan nam nay", "social_insurance"),
    ("thủ tục đăng ký hộ kinh doanh ở đâu", "business_registration"),
    ("làm sổ đỏ cho đất xưởng mất bao lâu", "land"),
    ("giá vàng hôm nay", "prices"),
    # Farming is the agricultural extension service's; fire safety the fire police's.
    ("nuôi tôm có được nhà nước hỗ trợ con giống không", "farming"),
    ("chan nuoi heo co duoc ho tro gi khong", "farming"),
    ("xuong go can nhung gi de dat pccc", "fire"),
    # Fines for pollution (a question of the seventeenth blind set once the classifier had
    # learnt the later sets).
    ("xưởng xả nước thải ra kênh bị phạt bao nhiêu tiền", "other"),
    ("xuong xa nuoc thai bi phat bao nhieu", "other"),
    ("nước mắm chấm với món gì thì ngon nhất", "other"),
    ("sản phẩm OCOP đăng ký ở đâu", "ocop"),
    ("tư vấn giúp em nên mua xe máy nào tiết kiệm xăng", "other"),
    # "xã hội cho" folds to "hoi cho" but is not "hội chợ", the centre's word.
    ("hồ sơ đóng bảo hiểm xã hội cho công nhân gồm những gì", "social_insurance"),
    # Registering a household's tax code is the tax office's, though the words are near the
    # centre's question of which number to give.
    ("đăng ký mã số thuế cho hộ kinh doanh ở đâu", "tax"),
    ("dang ky MST cho ho kinh doanh thi lam o dau", "tax"),
    # What a small firm pays in social insurance is the agency's; whether it is small, ours.
    ("dn nho dong bhxh bao nhieu %", "social_insurance"),
    ("how much social insurance does a small business pay", "social_insurance"),
    # Tried on questions written for this, each once answered confidently with an entry.
    ("tra cuu thong tin doanh nghiep qua ma so thue", "business_registration"),
    ("mat viec co duoc tro cap khong", "social_insurance"),
    ("phí bảo vệ môi trường với nước thải công nghiệp bao nhiêu", "other"),
    ("goi ho tro lai suat 2% con khong", "covid"),
    ("where can I buy a used CNC machine", "other"),
    ("how to register a household business in Hai Phong", "business_registration"),
    # Gaps the eighth blind set showed (6 Dec 2026), asked in other words.
    ("thủ tục thành lập cty tnhh 2 thành viên gồm gì", "business_registration"),
    ("chuyển đất nông nghiệp lên thổ cư mất bao lâu", "land"),
    # A job search stays outside, though the jobs a model made are its results (below); so do
    # a university's fees and a visa, though the fees of the centre's classes and the visa of
    # its study trips are its questions.
    ("ở Hải Phòng tìm việc làm ở đâu", "labour"),
    ("học phí đại học bách khoa bao nhiêu", "education"),
    ("làm visa đi Hàn mất bao lâu", "immigration"),
    # With diacritics, or longer, these stay the bank's and the business registry's.
    ("gói vay ưu đãi của ngân hàng chính sách", "bank"),
    ("goi vay uu dai lai suat bao nhieu", "bank"),
    ("thủ tục giải thể công ty", "business_registration"),
    # Near-domain questions a probe written for the scope's boundary found answered or offered
    # as "did you mean" (6 Dec 2026): looking up a tax code, social housing loans, land
    # certificates, electricity bills, warranties, vehicle inspection, fire insurance, a
    # food-safety certificate.
    ("tra cứu mã số thuế cá nhân bằng cccd ở đâu", "tax"),
    ("goi vay 120 nghin ty nha o xa hoi can dieu kien gi", "bank"),
    ("lam so do dat de xay xuong o xa mat bao lau", "land"),
    ("hoá đơn tiền điện xưởng tháng này tăng vọt, khiếu nại điện lực thế nào", "utilities"),
    ("máy rửa xe cao áp hỏng thì bảo hành ở đâu", "other"),
    ("trung tâm đăng kiểm xe ở hp thứ 7 có làm việc ko", "other"),
    ("bảo hiểm cháy nổ bắt buộc cho nhà xưởng mua ở đâu", "other"),
    ("giay chung nhan co so du dieu kien attp xin o dau", "other"),
    ("xe tai giao hang cua xuong bi phat qua tai thi nop phat o dau", "other"),
    ("xuong may can tuyen 20 cong nhan thi dang tin o dau cho nhanh", "other"),
    # Off-topic questions of the evaluation sets that used to get a "did you mean" (football
    # asked as "đá với", traffic, schooling, fortune telling, depreciation, certificates of
    # origin, plane tickets, changing a company's legal representative).
    ("toi nay hai phong da voi ha noi may gio", "other"),
    ("tối nay Việt Nam đá với Thái Lan mấy giờ", "other"),
    ("hp hom nay cau binh co ket xe k", "other"),
    ("Tra cứu điểm thi tốt nghiệp THPT ở đâu vậy?", "education"),
    ("xem giup minh tu vi tuoi dan nam 2027", "other"),
    ("May moc mua ve thi trich khau hao bao nhieu nam theo quy dinh ke toan", "other"),
    ("Xin giấy chứng nhận xuất xứ C/O mẫu E để xuất hàng sang Trung Quốc thì làm ở đâu?",
     "customs"),
    ("Vé máy bay Hải Phòng đi Sài Gòn tháng 1 bao nhiêu tiền?", "other"),
    ("Công ty tôi muốn thay đổi người đại diện theo pháp luật thì nộp hồ sơ ở đâu?",
     "business_registration"),
    # The eleventh blind set's first measurement (6 Dec 2026): a shop's discount code and a
    # flower fair were answered outright ("hội chợ" is otherwise the centre's word).
    ("có mã khuyến mãi shopee không ad", "other"),
    ("hội chợ hoa xuân năm nay tổ chức ở đâu", "other"),
    ("hội chợ tết ở công viên có ca nhạc mấy giờ, vé vào cổng bao nhiêu", "other"),
    ("giai ho em bai toan 2x + 5 = 17", "other"),
    # The twelfth blind set's first measurement (6 Dec 2026): a firm's new name and address,
    # a football match without "đá với", a phone top-up got "did you mean" choices.
    ("đổi tên công ty thì làm thủ tục ở đâu", "business_registration"),
    ("chủ nhật đội Hà Nội đá mấy giờ", "other"),
    ("nạp thẻ điện thoại ở đâu", "other"),
    # A second probe of the boundary (6 Dec 2026): employment law, customs and intellectual
    # property have their own replies, saying who handles them.
    ("tăng ca buổi tối thì phải trả lương cho thợ thế nào", "labour"),
    ("thu viec may thang thi phai ky hop dong", "labour"),
    ("mã HS của máy dệt nhập khẩu là bao nhiêu", "customs"),
    ("how do I get a certificate of origin for my baskets", "customs"),
    ("bị người ta làm nhái nhãn hiệu thì kiện ở đâu", "ip"),
    ("đăng ký sáng chế cho máy tự chế ở đâu", "ip"),
    ("mst cong ty em bi khoa thi phai lam sao", "tax"),
    ("phí sàn tiktok shop bao nhiêu phần trăm", "other"),
    ("lắp công tơ điện 3 pha cho xưởng ở đâu", "utilities"),
    # The fourteenth blind set's first measurement (6 Dec 2026): a price by the kilo and a
    # printing licence got "did you mean" choices; a request for a restaurant was small talk.
    ("Giá cá cơm làm nước mắm ở Cát Hải hôm nay bao nhiêu một ký?", "prices"),
    ("Giá long nhãn sấy khô tuần này bao nhiêu một cân vậy?", "prices"),
    ("nộp hồ sơ đăng ký thành lập công ty ở đâu", "business_registration"),
    ("Xưởng in của tôi có cần giấy phép hoạt động in không, xin ở đâu?",
     "business_registration"),
    ("bot oi chi cho toi quan lau cua ngon o Do Son", "other"),
    # The fifteenth blind set's first measurement (6 Dec 2026): the SME development fund's
    # loans got the SME criteria, confidently; a match's score and a laboratory test of a
    # product got "did you mean" choices.
    ("Quỹ phát triển doanh nghiệp nhỏ và vừa cho vay thế nào, hồ sơ ra sao?", "bank"),
    ("toi qua hai phong da voi ha noi may may", "other"),
    ("kiem dinh chat luong gach khong nung thi mang mau di dau", "other"),
    # The sixteenth blind set's first measurement (6 Dec 2026): a red book typed plain got
    # "did you mean" choices; a Covid package that cut taxes and land rent got the tax reply.
    ("lam so do cho dat xay xuong o xa thi can giay to gi", "land"),
    ("nuôi gà thịt cần kỹ thuật gì", "farming"),
    ("Who won the World Cup 2022?", "other"),
    # The asking clause names the area; the story names another (invoices are taxes'): the
    # one asked about is the reply's (qa_blind18, after its measurement).
    ("nhà em là hộ kinh doanh làm nón lá ở xã, mấy khách buôn lớn cứ đòi xuất hóa đơn công ty "
     "nên em tính chuyển lên công ty. Thủ tục đăng ký doanh nghiệp thì nộp ở đâu, mất mấy ngày ạ",
     "business_registration"),
    ("Còn gói hỗ trợ Covid nào cho doanh nghiệp nữa không, giảm thuế giảm tiền thuê đất ấy",
     "covid"),
    # The twentieth blind set's first measurement (7 Dec 2026), asked in other words: declaring
    # a product's quality, a barcode, a translation and a phone to buy got "did you mean"
    # choices or the offer to staff.
    ("tự công bố sản phẩm nước mắm cần hồ sơ gì", "other"),
    ("xin mã vạch cho sản phẩm mất bao lâu", "other"),
    ("dich giup em tin nhan nay sang tieng han", "other"),
    ("Could you translate my product description into Korean?", "other"),
    ("tư vấn giúp em nên mua điện thoại nào chụp ảnh đẹp", "other"),
    # "đt" with its diacritic (plain "dt" is also doanh thu, the centre's question).
    ("mua đt tầm 3 triệu ở đâu rẻ", "other"),
    # The twenty-first (short questions): a food-safety certificate by its other acronym, an
    # import licence.
    ("xin giấy atvstp cho xưởng nước mắm hết bao lâu", "other"),
    ("do I need an import licence for a used dryer", "customs"),
    ("giấy phép nhập khẩu máy móc xin ở đâu", "customs"),
    # Passports and visas: the police's immigration office and the embassies (until 7 Dec 2026
    # "other", which names no one).
    ("how long does a visa to Korea take", "immigration"),
    ("where do I apply for a passport in Hai Phong", "immigration"),
    # Power and water supply (the power company's), vehicles (the police's): until 7 Dec 2026
    # "other", which names no one, and beside the centre's name a hand-over to staff.
    ("mất điện cả ngày hôm nay, bao giờ có điện lại", "utilities"),
    ("công tơ điện nhà xưởng chạy nhanh bất thường, kiểm tra ở đâu", "utilities"),
    ("who do I call about a power cut at my workshop", "utilities"),
    ("đổi bằng lái xe ô tô ở đâu", "vehicles"),
    ("dang ky bien so xe tai moi mua o dau", "vehicles"),
    ("where do I register a new delivery van", "vehicles"),
    # The twenty-second, asked in other words: rain tomorrow got a fair, a shop locked on a
    # platform the e-commerce entry, as "did you mean" choices.
    ("tuần này hải phòng có mưa không ạ", "other"),
    ("shop tiktok cua em bi khoa 2 tuan roi, lam sao mo lai shop", "other"),
    # The thirteenth session: filing a trademark abroad is the IP office's (a sixth-set question
    # was one sample question away from a confident answer with the brand support); the papers
    # to register a company stay the registration office's.
    ("muốn đăng ký nhãn hiệu ở Mỹ cho sản phẩm thì làm thế nào", "ip"),
    ("how do I register a trademark abroad", "ip"),
    ("what documents do I need to register a company", "business_registration"),
    # A probe of near-domain questions (offtopic_probe23.yaml), asked in other words: a
    # women's-union fund's loan, a tax return with the new 12-digit code, a haulage badge, a
    # construction permit in English, which brand to buy, pests in the rice.
    ("vay quỹ hỗ trợ phụ nữ để mua máy may được bao nhiêu", "bank"),
    ("hkd giờ dùng số cccd thì khai thuế quý ở đâu", "tax"),
    ("làm phù hiệu xe tải chở hàng cho htx ở đâu", "other"),
    ("what papers do I need for a construction permit", "land"),
    ("máy cắt laser loại nào tốt, nên mua hãng nào", "prices"),
    ("lúa bị rầy nâu thì xin thuốc bảo vệ thực vật ở đâu", "farming"),
    # The twenty-fourth blind set: a VAT cut, spraying an orchard, a licence to sell liquor.
    ("Is the VAT cut to 8% still applied this year?", "tax"),
    ("vải thiều bị sâu đục cuống thì phun thuốc gì", "farming"),
    ("thủ tục xin giấy phép sản xuất rượu thủ công để bán", "other"),
    # Asked in English and in other words after it: shrimp ponds, a rice field's fertiliser,
    # an accident at work, the 2022 interest-rate package, a fire check, a discharge permit,
    # the land-use plan.
    ("how do i raise shrimp in ponds", "farming"),
    ("where can i get fertiliser subsidies for my rice field", "farming"),
    ("my employee had an accident at work, who pays", "labour"),
    ("is the interest rate support package from 2022 still available", "covid"),
    ("xưởng bị kiểm tra phòng cháy thì cần giấy tờ gì", "fire"),
    # Fire equipment is no support of the centre's, though the question names it or asks for
    # support: it got the pollution-treatment entry outright.
    ("lắp hệ thống pccc cho xưởng có được khuyến công hỗ trợ không", "fire"),
    ("xưởng em muốn đầu tư hệ thống phòng cháy có được hỗ trợ không", "fire"),
    ("does khuyen cong pay for fire extinguishers", "fire"),
    ("xin giấy phép xả thải cho xưởng nước mắm", "other"),
    ("tra cứu quy hoạch đất chỗ xưởng ở đâu", "land"),
    # The twenty-fifth blind set: a job fair is no fair of the centre's, and paying social
    # insurance no support of its, though the question names the centre (both were answered
    # outright: the fairs held in Hai Phong, the SME size criteria).
    ("hội chợ việc làm tháng này ở hp tổ chức ở đâu ạ", "labour"),
    ("trung tâm khuyến công đóng bhxh hộ công nhân xưởng e đc ko", "social_insurance"),
    # The twenty-sixth: a job search asked of the centre, a herd's disease and the traffic got
    # "did you mean" choices.
    ("ad ơi bên khuyến công có giới thiệu việc làm ko, e đang cần tìm việc thợ hàn", "labour"),
    ("dan lon nha e bi dich ta chau phi chet het, co ho tro gi k", "farming"),
    ("đi từ hải dương về hải phòng đường nào đỡ tắc nhỉ", "other"),
    # A probe of questions naming the centre (offtopic_probe26): a school place was answered
    # outright with vocational training, a counterfeit brand with brand building.
    ("con e chưa có chỗ học lớp 1 trường công, khuyến công có xin giúp đc ko 😂", "education"),
    ("con e đỗ ĐH Hàng hải, trung tâm khuyến công có hỗ trợ học phí đại học ko ạ", "education"),
    ("bi cty khac lam gia thuong hieu nuoc mam cua e, bao ai xu ly", "ip"),
    # Another office's business named beside the centre's words, with nothing the search
    # could offer: told who handles it, not "no information" with a hand-over to staff.
    ("khuyến công có cấp giấy phép xây dựng nhà xưởng k ạ", "land"),
    ("khuyến công có xuất hoá đơn điện tử giúp mình k, hđ của e đang bị lỗi", "tax"),
])
def test_a_question_the_centre_does_not_handle_is_recognised(question: str, area: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert (result.answer, result.confident, result.outside) == (None, False, area)


def test_near_domain_questions_naming_the_centre_are_never_answered():
    """100 questions for other offices, 65 of them naming the centre or asking what khuyến
    công does for them (tests/data/offtopic_probe26.yaml, written blind): none gets an answer
    outright (2 did when written: a school place and a counterfeit brand), and about half are
    told who handles them (38 when written, 48 after)."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    probes = yaml.safe_load((EVAL_SETS / "offtopic_probe26.yaml").read_text(encoding="utf-8"))
    results = {item["q"]: kb.search(item["q"], item["lang"]) for item in probes["questions"]}
    assert [question for question, result in results.items() if result.confident] == []
    assert sum(result.outside is not None for result in results.values()) >= 45


def test_near_domain_questions_written_to_share_the_centres_words_are_never_answered():
    """100 questions for other offices (tax, loans, permits, fire safety, farming...) written to
    share the centre's words (tests/data/offtopic_probe23.yaml): none gets an answer outright,
    and most are told who handles them (74 of 100 when written; 63 before that session's
    scope phrases)."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    probes = yaml.safe_load((EVAL_SETS / "offtopic_probe23.yaml").read_text(encoding="utf-8"))
    results = {item["q"]: kb.search(item["q"], item["lang"]) for item in probes["questions"]}
    answered = [question for question, result in results.items() if result.confident]
    assert answered == []
    assert sum(result.outside is not None for result in results.values()) >= 70


@pytest.mark.parametrize(("question", "expected"), [
    # Words that also belong to other offices, used for the centre's own business.
    ("thue gian hang hoi cho trong nuoc duoc ho tro bao nhieu", "hoi-cho-ho-tro-gian-hang"),
    ("công ty 250 công nhân đóng bhxh có còn là doanh nghiệp nhỏ và vừa không",
     "doi-tuong-tieu-chi-dnnvv"),
    ("xưởng gây ô nhiễm di dời vào cụm công nghiệp có được hỗ trợ lãi vay ngân hàng không",
     "cum-cn-di-doi-lai-vay"),
    ("hỗ trợ thành lập doanh nghiệp mới bao nhiêu tiền", "dao-tao-khoi-su-doanh-nghiep"),
    ("mở cty ở vùng khó khăn có được cho tiền không", "dao-tao-khoi-su-doanh-nghiep"),
    # What a household business gives as tax code is asked of the centre (its profile).
    ("hộ kinh doanh giờ khai mã số thuế bằng số căn cước 12 số phải không",
     "thu-tuc-ma-so-thue-ho-kinh-doanh"),
    # ... with its words apart (a fifth blind set's dev half, 6 Dec 2026)
    ("Hộ kinh doanh của tôi giờ không dùng mã số thuế cũ nữa à, điền hồ sơ thì ghi số gì?",
     "thu-tuc-ma-so-thue-ho-kinh-doanh"),
    ("mst cua hkd bay gio la so nao", "thu-tuc-ma-so-thue-ho-kinh-doanh"),
    ("what tax code does a household business give", "thu-tuc-ma-so-thue-ho-kinh-doanh"),
    # An employment contract is not the centre's business, counting workers for SME status is.
    ("Số lao động để xác định doanh nghiệp nhỏ và vừa tính theo hợp đồng lao động hay theo "
     "người đóng BHXH ạ?", "doi-tuong-tieu-chi-dnnvv"),
    ("cty e 80 nguoi dong bhxh thi con la dn nho ko", "doi-tuong-tieu-chi-dnnvv"),
    ("cty tôi 120 lao động đống bhxh có phải dn nhỏ ko", "doi-tuong-tieu-chi-dnnvv"),
    ("công nhân nghỉ việc nhiều, có lớp đào tạo nghề không", "dao-tao-nghe"),
    ("How big can a manufacturing company be and still count as small? My brother's firm has "
     "80 employees with social insurance.", "doi-tuong-tieu-chi-dnnvv"),
    # Airfare is part of a study trip abroad; processing what farms grow is rural industry.
    ("đi khảo sát học hỏi ở nước ngoài có được trả vé máy bay không",
     "dao-tao-khao-sat-nuoc-ngoai"),
    # A specific entry over a generic one: the amount, not the definition.
    ("mô hình trình diễn hỗ trợ tối đa bao nhiêu", "mo-hinh-muc-ho-tro"),
    # The conditions, not the definition.
    ("em muốn làm mô hình trình diễn kỹ thuật thì cần điều kiện gì",
     "mo-hinh-dieu-kien-cong-nghe-moi"),
    ("khuyến công là gì", "khuyen-cong-la-gi"),
    # ... with a word about oneself after it (the telling clause used to outscore it).
    ("khuyến công là gì vậy ad, em mới mở xưởng", "khuyen-cong-la-gi"),
    ("de an khuyen cong la gi, e moi nghe lan dau", "thu-tuc-de-an-la-gi"),
    # What it supports, asked in every blind set: its stop words dropped, the question is
    # "khuyến công hỗ trợ", and only its kind ("những gì") says a list is wanted.
    ("khuyến công hỗ trợ những gì", "khuyen-cong-noi-dung-ho-tro"),
    ("khuyen cong ho tro nhung mang nao", "khuyen-cong-noi-dung-ho-tro"),
    ("nghệ nhân được khuyến công hỗ trợ những gì", "doi-tuong-nghe-nhan"),
    # Where to submit and a machine already bought: asked in many sets, answered by the steps
    # entry among other things until each had an entry of its own (qa_blind22's session).
    ("ho so xin ho tro nop o dau vay ad", "thu-tuc-noi-nop-ho-so"),
    ("em lỡ mua máy rồi thì có xin hỗ trợ được không", "thu-tuc-mua-may-truoc"),
    ("thủ tục xin hỗ trợ gồm những bước nào", "thu-tuc-cac-buoc"),
    # "%" is read as "phần trăm": "mấy %" asks for the share (it had "mấy" alone).
    ("mô hình trình diễn dc hỗ trợ mấy % vậy ad", "mo-hinh-muc-ho-tro"),
    # A name joined by "&" is one word: split, "F&G" was two letters that said nothing.
    ("F&G được hỗ trợ cái gì vậy ạ", "may-moc-vi-du-hai-phong"),
    # The centre's own classes stay its business beside a job search.
    ("lao động nông thôn tìm việc, khuyến công có mở lớp dạy nghề ko", "dao-tao-nghe"),
    ("lớp dạy nghề khuyến công tuyển sinh khi nào", "dao-tao-nghe"),
    ("khuyến công có hỗ trợ học phí lớp khởi sự doanh nghiệp ko", "dao-tao-khoi-su-doanh-nghiep"),
    # How long until a dossier is approved: the yearly plan (its English sample questions
    # had no "how long", so the contest's regional round answered).
    ("how long does approval take?", "thu-tuc-thoi-han-nop"),
    ("nop ho so xong thi bao lau duoc duyet a", "thu-tuc-thoi-han-nop"),
    ("khuyến công có hỗ trợ bán hàng trên shopee không", "thong-tin-thuong-mai-dien-tu"),
    # What the bot does with personal data (the eleventh blind set: it was turned away as
    # another office's business for "CCCD").
    ("Trung tâm có dùng số CCCD của tôi vào việc khác không, tôi sợ lộ thông tin",
     "thu-tuc-du-lieu-ca-nhan"),
    ("làm sao xóa thông tin của tôi", "thu-tuc-du-lieu-ca-nhan"),
    ("trung tâm dùng số cccd của tôi làm gì, có bị lộ không", "thu-tuc-du-lieu-ca-nhan"),
    ("how is my personal data used", "thu-tuc-du-lieu-ca-nhan"),
    # The one confirmed fact of the fact sheet no entry held (HP-13), asked by the ninth set.
    ("hội nghị khuyến công phía bắc lần thứ 19 diễn ra khi nào", "quoc-gia-hoi-nghi-phia-bac"),
    # The jobs a demonstration model made, asked by the tenth blind set: not a job search.
    ("mo hinh duc kim loai o my dong tao dc bn viec lam", "mo-hinh-duc-kim-loai-thanh-phuong"),
    ("lớp dạy nghề có mất học phí không", "dao-tao-nghe"),
    ("công nhân mới tuyển có được học nghề miễn phí không", "dao-tao-nghe"),
    # The airfare of a study trip is the centre's.
    ("đoàn cơ sở đi học hỏi kinh nghiệm bên Nhật có được trả vé máy bay không ạ",
     "dao-tao-khao-sat-nuoc-ngoai"),
    # What a contest asks of a food-safety certificate is the centre's (an anchor).
    ("sản phẩm dự thi bình chọn có cần giấy chứng nhận attp không",
     "binh-chon-dieu-kien-san-pham"),
    # "đóng gói vậy" typed plain ends in "goi vay", a loan package; a start-up course asked
    # about with a company to set up; which tax code to write in the dossier (all found in
    # the blind sets, refused before).
    ("cty tuan linh dc ho tro bn tien may dong goi vay", "may-moc-vi-du-hai-phong"),
    ("Tôi đang tính mở công ty sản xuất, có lớp nào hướng dẫn khởi sự kinh doanh không?",
     "dao-tao-khoi-su-doanh-nghiep"),
    ("Công ty có chi nhánh sản xuất ở xã thì mã số thuế chi nhánh ghi theo dạng nào trong hồ "
     "sơ?", "thu-tuc-ma-so-thue-ho-kinh-doanh"),
    ("đi khảo sát nước ngoài có phải tự làm visa không", "dao-tao-khao-sat-nuoc-ngoai"),
    # Telex typed with the input method off, question words and the centre's name included:
    # nothing in them was known before, so it was taken for a question of no one's business.
    ("khuyeens coong laf gif", "khuyen-cong-la-gi"),
    ("ddi khaor sats hocj taapj nuowcs ngoaif co dc hoox trowj ve may bay k",
     "dao-tao-khao-sat-nuoc-ngoai"),
    # Turned away by the twelfth blind set: whether a household must have a tax code to apply
    # ("chưa đăng ký kinh doanh" is no registration question), and whether sending an ID
    # number to the bot is safe.
    ("hộ tôi chưa đăng ký kinh doanh, phải có mã số thuế mới xin được hỗ trợ à",
     "thu-tuc-ma-so-thue-ho-kinh-doanh"),
    ("gửi cccd cho bot có an toàn ko", "thu-tuc-du-lieu-ca-nhan"),
    # The centre's own support, named with words of the new areas (labour, customs, ip).
    ("thợ mới thử việc có được học lớp nghề của khuyến công không", "dao-tao-nghe"),
    ("đăng ký nhãn hiệu cho sản phẩm có được hỗ trợ không", "thuong-hieu-dang-ky"),
    # What the centre does, asked by its short name: not its results of one year (a "did you
    # mean" between 2020 and 2017-2019 until 7 Dec 2026).
    ("khuyến công hải phòng làm gì", "trung-tam-nhiem-vu"),
    ("cty e dt 5 ty thi la dn nho ko", "doi-tuong-tieu-chi-dnnvv"),
])
def test_the_centres_own_questions_are_answered_directly(question: str, expected: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert result.outside is None
    assert (result.answer and result.answer.id, result.confident) == (expected, True)


@pytest.mark.parametrize("question", [
    "khuyến công có hỗ trợ làm mã vạch, tem truy xuất nguồn gốc không",
    "bình chọn sản phẩm tiêu biểu có cần công bố chất lượng không",
    "bình chọn sản phẩm tiêu biểu có cần giấy atvstp không",
    "nhập khẩu máy từ trung quốc có được khuyến công hỗ trợ không",
    # Typed plain, "co mua" is có mua (to buy), not rain (=có mưa); a course on opening a
    # shop online is not a locked shop.
    "xuong em co mua may cat laser duoc ho tro khong",
    "nha em co mua may say thi dc ho tro bn",
    "có lớp dạy mở shop bán hàng online không",
])
def test_the_centres_own_questions_with_other_offices_words_go_to_the_search(question: str):
    """With a word of the centre's business (an anchor: khuyến công, bình chọn) a barcode or a
    quality declaration is asked of the centre: the search answers, offers choices or, with
    nothing to offer, the question goes to staff. So do words another office's phrase holds
    only with its diacritics or in another order."""
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert (result.outside, result.small_talk) == (None, None)


@pytest.mark.parametrize(("question", "expected"), [
    # The whole name of the contest or of a model is in the entry that asks what it is, and
    # now in its siblings too: it no longer draws questions asking something else of it.
    ("Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu bây giờ còn cấp huyện không?",
     "binh-chon-cac-cap"),
    ("bình chọn sản phẩm công nghiệp nông thôn tiêu biểu nhằm mục đích gì", "binh-chon-muc-dich"),
    ("mô hình trình diễn kỹ thuật được hỗ trợ tối đa bao nhiêu tiền", "mo-hinh-muc-ho-tro"),
    ("What is a technical demonstration model?", "mo-hinh-trinh-dien-la-gi"),
])
def test_an_entry_asking_what_something_is_answers_only_that(question: str, expected: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert (result.answer and result.answer.id, result.confident) == (expected, True)


@pytest.mark.parametrize("question", [
    "thêu ren có được khuyến công hỗ trợ không",  # had no answer at all
    "làm đậu phụ có được khuyến công hỗ trợ không",  # had "phụ nữ" first
])
def test_a_common_trade_asked_about_gets_the_eligible_sectors(question: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert (result.answer and result.answer.id, result.confident) == (
        "doi-tuong-nganh-nghe", True)


def test_a_year_names_the_results_of_that_year():
    """A year counts as a word, not at NUMBER_WEIGHT like the asker's own figures: "2019" picks
    the 2017-2019 results over the 2020 ones outright."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    result = kb.search("nam 2019 kc hp lam bn de an, tong tien bn")
    assert (result.answer and result.answer.id, result.confident) == (
        "trung-tam-ket-qua-2017-2019", True)


@pytest.mark.parametrize(("question", "expected"), [
    # Facts of the seed article and the fact sheet that blind sets kept asking about with no
    # entry to answer.
    ("Hải Phòng định có mấy cụm công nghiệp đến 2025?", "cum-cn-hai-phong-dinh-huong"),
    ("What industries does Hai Phong prioritise?", "cum-cn-hai-phong-dinh-huong"),
    ("năm 2021 trung tâm có kế hoạch gì", "trung-tam-ke-hoach-2021"),
    ("khuyến công hải phòng khó khăn gì", "trung-tam-ke-hoach-2021"),
    ("trung tâm giữ lại bao nhiêu phần trăm làm chi phí quản lý", "muc-ho-tro-chi-phi-quan-ly"),
])
def test_facts_asked_about_with_no_entry_before_have_one(question: str, expected: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert (result.answer and result.answer.id, result.confident) == (expected, True)


@pytest.mark.parametrize("question", [
    "khởi nghiệp có được khuyến công hỗ trợ không",
    "em la sinh vien muon khoi nghiep lam gom thi co dc ho tro gi",
    "I want to start up a small food company, any support?",
])
def test_a_start_up_is_what_the_content_calls_khoi_su_doanh_nghiep(question: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert result.answer is not None and result.answer.id == "dao-tao-khoi-su-doanh-nghiep"


@pytest.mark.parametrize("question", ["mẫu đơn đăng ký đề án khuyến công tải ở đâu",
                                      "where can I download the forms"])
def test_the_forms_are_in_the_entry_on_the_papers_to_file(question: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert result.answer is not None and result.answer.id == "thu-tuc-ho-so-giay-to"


def test_a_smiley_is_read_only_where_it_stands_alone():
    """":D" or ":p" is no word, but "10:30", "Điều 8:" and a link keep their words."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    plain = kb.search("hạn nộp hồ sơ đề án là ngày nào")
    for said in ("hạn nộp hồ sơ đề án là ngày nào :D", "hạn nộp hồ sơ đề án là ngày nào :p"):
        found = kb.search(said)
        assert (found.answer, found.score) == (plain.answer, plain.score)
    for said in ("nộp hồ sơ trước 10:30 ngày 20/5 phải không", "Điều 8: mức hỗ trợ là bao nhiêu"):
        assert kb.search(said).small_talk is None


@pytest.mark.parametrize(("said", "kind"), [
    ("xin chào", "greeting"), ("alo", "greeting"), ("Chào bot!", "greeting"), ("hi", "greeting"),
    ("cảm ơn", "thanks"), ("ok cam on ad nhe", "thanks"), ("thanks", "thanks"),
    ("ok", "ok"), ("👍", "ok"), ("dạ vâng", "ok"), ("tạm biệt", "bye"), ("bye", "bye"),
    # Smileys typed with letters are no words; a lone "?" calls out ("anyone there?").
    (":D", "ok"), (":))", "ok"), ("ok :p", "ok"), ("?", "greeting"), ("???", "greeting"),
    # Found missing by a fifth blind set's first measurement (6 Dec 2026): "có ai trực không"
    # even got a confident answer about who may apply.
    ("có ai trực không ạ", "greeting"), ("ê bot", "greeting"), ("how are you", "greeting"),
    ("bạn khỏe không", "greeting"), ("thx", "thanks"), ("tuyệt", "thanks"), ("oki", "ok"),
    ("xin lỗi em nhắn nhầm", "ok"), ("pp ad", "bye"), ("ai vậy", "identity"),
    ("chúc ad một ngày tốt lành", "wishes"), ("ad còn đó không", "greeting"),
    ("ok e hiểu rồi, chúc ad buổi tối vui vẻ", "wishes"),
    ("chúc anh chị cuối tuần vui vẻ", "wishes"),
    # Found missing by the sixth blind set's first measurement (6 Dec 2026).
    ("Hi there, is this a bot?", "identity"), ("thôi chào nhé, mai hỏi tiếp", "bye"),
    ("thoi khong can nua", "ok"),
    # Found by the twenty-fourth blind set's first measurement (7 Dec 2026): "online" got the
    # e-commerce entry outright.
    ("ad đang online ko", "greeting"), ("co ai online khong a", "greeting"),
    # The twenty-fifth: "ad đang trực ko ạ" got a "did you mean", "test" "outside what I can
    # help with".
    ("ad đang trực ko ạ", "greeting"), ("test", "greeting"),
    # Asking to ask: the question is still to come.
    ("cho em hỏi chút ạ", "asking"), ("cho e hoi voi", "asking"),
    # "good" in "good morning" is no thanks; "chào ... nhé" at the end is goodbye.
    ("good morning ad", "greeting"), ("thôi em chào anh nhé, hôm khác hỏi", "bye"),
    ("can I ask something?", "asking"),
    # A compliment and an apology for the bother (6 Dec 2026): the first got a "did you
    # mean", the second the "not something I can help with" reply.
    ("ad dễ thương quá", "thanks"), ("làm phiền ad quá", "thanks"),
    ("bot trả lời dễ hiểu quá, hay ghê", "thanks"), ("alo co ai o day ko", "greeting"),
    # "I will ask more when I am free" (the twelfth blind set got the "not our business"
    # reply): an acknowledgement.
    ("ok mai rảnh em hỏi tiếp nhé", "ok"),
    # The second probe of the boundary: acknowledgements, a mistaken message, "is it a bot".
    ("ukm e hiểu rồi", "ok"), ("bb ad", "bye"), ("e gửi nhầm ạ", "ok"),
    ("ad là bot hả", "identity"), ("thôi ngủ ngon ad nhé", "bye"),
    # The centre greeted by its name; "let me see first"; praise.
    ("xin chào trung tâm khuyến công", "greeting"), ("ok để e xem đã", "ok"),
    ("để em tìm hiểu thêm", "ok"), ("good job", "thanks"),
    ("bạn là bot hay người vậy", "identity"),
    # The thirteenth blind set's first measurement (6 Dec 2026): "tôi" was no filler, a
    # complaint about the bot and "is someone answering at this hour" got other replies.
    ("mai tôi hỏi tiếp, chào ad nhé", "bye"), ("bot gì mà chậm thế", "complaint"),
    ("ok bot dở quá", "complaint"), ("giờ này vẫn có người trả lời à", "identity"),
    # A last blind probe (6 Dec 2026): "understood", "nothing, never mind".
    ("dạ em nắm được rồi ạ", "ok"), ("dạ ko có gì ạ", "ok"),
])
def test_small_talk_is_recognised(said: str, kind: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(said)
    assert (result.answer, result.small_talk) == (None, kind)


@pytest.mark.parametrize(("said", "kind"), [
    # Not made only of small talk, but matching no entry and asking nothing.
    ("haha bot trả lời nhanh ghê", "thanks"), ("em chúc trung tâm năm mới vạn sự như ý", "wishes"),
    ("chào anh chị trung tâm buổi sáng tốt lành", "greeting"),
    ("cảm ơn ad đã giải thích kỹ cho em", "thanks"),
    # Who the bot is, and "I'll write later", though they read as questions.
    ("bạn tên là gì thế", "identity"), ("are you a robot?", "identity"),
    ("để em hỏi lại sếp rồi nhắn sau nhé", "later"),
])
def test_small_talk_among_other_words_is_recognised(said: str, kind: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(said)
    assert (result.answer, result.small_talk) == (None, kind)


@pytest.mark.parametrize("question", ["trung tâm", "ok cho em hỏi hỗ trợ máy móc bao nhiêu",
                                      "i have a question about booth support",
                                      "cho mình hỏi thủ tục xin hỗ trợ",
                                      "cảm ơn, thế còn hội chợ thì sao",
                                      # "da" typed without diacritics is "đá" as often as "dạ"
                                      "cach lam banh da cua ngon",
                                      "chào ad, lịch nghỉ tết của trung tâm thế nào ạ?",
                                      "làm phiền trung tâm cho hỏi hỗ trợ máy móc bao nhiêu",
                                      # "hỏi tiếp" and "để em xem" end small talk, not these
                                      "em hỏi tiếp nhé, mua máy thì sao",
                                      "hỏi tiếp: đào tạo nghề có mất phí không",
                                      "để em xem mua máy nào được hỗ trợ",
                                      "tìm hiểu thêm về khuyến công ở đâu",
                                      # "tí nữa" and "tên gì" are small talk only in a
                                      # message that says nothing of the centre's business
                                      "tí nữa em qua trung tâm được không",
                                      "tên gì cũng được, cho hỏi hỗ trợ máy"])
def test_a_question_with_a_polite_word_is_not_small_talk(question: str):
    assert KnowledgeBase.from_directory(REAL_KB).search(question).small_talk is None


@pytest.mark.parametrize(("text", "asking"), [
    # The story first, the question last: by its words, its final "không", its question mark.
    ("Xưởng nước mắm của em ở Cát Hải, làm hơn chục năm rồi, giờ muốn mua máy chiết rót thì "
     "khuyến công có hỗ trợ không ạ, được khoảng bao nhiêu?",
     [False, False, True, True]),
    ("nha em lam co khi o Tien Lang, vay co lam ho so dc ko a", [False, True]),
    ("em mua may xong tu thang 8. Bao lau thi giai ngan", [False, True]),
    ("Hồ sơ gồm những gì?", [True]),
    # A question word typed with diacritics is that word: "hội chợ", "hồi đó" ask nothing,
    # "hỏi" does; typed plain, "hoi" may be either.
    ("Năm ngoái em đi hội chợ ở Hà Nội, hồi đó được hỗ trợ gian hàng. Cho em hỏi năm nay",
     [False, False, True]),
    ("nam ngoai em di hoi cho", [True]),
    ("cảm ơn ad, thế còn hội chợ thì sao", [False, True]),
])
def test_the_clauses_that_ask_are_told_from_the_story(text: str, asking: list[bool]):
    assert [asks for _, asks in question_parts(text)] == asking


def test_a_long_story_weighs_less_than_the_question_it_comes_with(kb: KnowledgeBase):
    # The same question after a long story of a machine and a place keeps its answer.
    question = "gian hàng hội chợ được hỗ trợ bao nhiêu"
    story = ("xưởng em làm gốm ở làng, năm ngoái mua thêm máy nhào đất và lò nung mới, "
             "hàng bán chủ yếu cho mấy cửa hàng quen ở ngoài thị trấn, ")
    alone, told = kb.search(question), kb.search(story + question + "?")
    assert told.answer is not None and told.answer.id == alone.answer.id


def test_a_long_story_is_answered_outright_only_with_a_clear_lead():
    """Two questions in a story (how much, and is the trade a priority): the two entries
    score close, so the owner chooses rather than getting one of them as the answer."""
    story = ("Em làm đồ gỗ mỹ nghệ, muốn mua con máy khắc CNC tầm 900 triệu để làm tượng với "
             "tranh gỗ, nếu xin được khuyến công thì được tầm bao nhiêu ạ, có ưu tiên ngành "
             "này không?")
    result = content_only().search(story)
    assert result.answer is not None and not result.confident


@pytest.mark.parametrize(("story", "drawn_by_the_story", "asked"), [
    # "300 workers, no longer an SME" drew the SME criteria outright.
    ("Công ty em hơn 300 lao động, không còn là doanh nghiệp nhỏ và vừa, nhưng đang muốn áp "
     "dụng sản xuất sạch hơn, tiết kiệm năng lượng, vậy có được khuyến công hỗ trợ gì không?",
     "doi-tuong-tieu-chi-dnnvv", "san-xuat-sach-hon-ho-tro"),
    # A carpenter's "12 workers" drew vocational training; the asking part says only "how
    # much", so the whole story says what about (the machine).
    ("Chào ad ạ. Nhà em làm nghề mộc ở xã Vĩnh Bảo, bố em làm từ những năm 90, giờ em tiếp "
     "quản xưởng, có 12 thợ. Em đang định mua con máy CNC khắc gỗ khoảng 900 triệu để làm "
     "tượng với đồ thờ cho nhanh. Cho em hỏi nhà nước hỗ trợ được bao nhiêu ạ? Em cảm ơn.",
     "dao-tao-nghe", "may-moc-muc-ho-tro"),
])
def test_a_story_clause_alone_does_not_draw_a_confident_answer(story: str,
                                                                drawn_by_the_story: str,
                                                                asked: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(story)
    offered = [result.answer.id] + [entry.id for entry, _score in result.alternatives]
    assert not (result.confident and result.answer.id == drawn_by_the_story), offered
    assert asked in offered[:3]


def test_a_long_story_scoring_low_still_gets_did_you_mean_choices():
    """Most words of a story are the asker's own, so it scores below a short question: it gets
    "did you mean" with the right entry, not "no information" (from the third blind set)."""
    story = ("Chào Trung tâm ạ. Công ty em ở xã, làm chế biến thực phẩm đóng hộp bán đi các tỉnh, "
             "hệ thống xử lý nước thải xây từ năm 2015 nay xuống cấp, mùa mưa hay tràn, bị môi "
             "trường nhắc nhở nhiều lần, hàng xóm cũng phàn nàn. Em muốn sửa chữa nâng cấp hệ "
             "thống đó, chi phí tầm 800 triệu. Khuyến công hỗ trợ được không và tối đa bao "
             "nhiêu ạ?")
    result = content_only().search(story)
    assert result.score < 0.295  # once "no information"
    assert (result.answer and result.answer.id, result.confident) == (
        "san-xuat-sach-xu-ly-o-nhiem", False)


def test_a_question_asked_before_teaches_the_words_people_use(kb_dir_with_asked: Path):
    """An asked question (asked.yaml) brings its entry the way owners phrase things: a new
    question phrased like it finds that entry, which the content alone did not give."""
    question = "nha e lam tuong go, muon di ha noi ban hang thi bao gio co dot"
    before = content_only(FIXTURE).search(question)
    after = KnowledgeBase.from_directory(kb_dir_with_asked).search(question)
    assert before.answer is None or before.answer.id != "hoi-cho-gian-hang"
    assert after.answer is not None and after.answer.id == "hoi-cho-gian-hang"


def test_a_heard_question_teaches_the_classifier_and_not_the_ranking():
    """A question of heard.yaml is learnt by the classifier only: the ranking scores a question
    like it the same, and the classifier's agreement then answers it outright."""
    knowledge = load_knowledge(REAL_KB)
    question = "kc co cho vay von lai suat thap ko"

    def searched(heard: dict[str, tuple[str, ...]]) -> SearchResult:
        return KnowledgeBase(replace(knowledge, entries=tuple(
            replace(entry, heard=Localized(heard.get(entry.id, ()), ()))
            for entry in knowledge.entries))).search(question)

    unheard = searched({})
    heard = searched({"cum-cn-di-doi-lai-vay": (question, "khuyen cong co cho vay von khong")})
    assert unheard.answer is not None and unheard.answer.id == "cum-cn-di-doi-lai-vay"
    assert heard.answer is not None and heard.answer.id == unheard.answer.id
    assert heard.score == unheard.score
    assert heard.confident and not unheard.confident


def test_the_chatter_of_asked_questions_matches_nothing(kb_dir_with_asked: Path):
    """Only the content's own words count in an asked question: its chatter ("tối nay",
    "đá bóng") does not make an off-topic message look like it."""
    result = KnowledgeBase.from_directory(kb_dir_with_asked).search("toi nay xem da bong o dau")
    assert result.answer is None


@pytest.fixture
def kb_dir_with_asked(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE, target)
    (target / "asked.yaml").write_text("""\
asked:
  - id: hoi-cho-gian-hang
    questions:
      vi: ["nha e lam tuong go, muon ra ha noi ban hang, toi nay xem da bong xong moi di"]
""", encoding="utf-8")
    return target


def test_the_asked_questions_file_is_built_from_the_evaluation_sets():
    """asked.yaml, heard.yaml and outside.yaml are what scripts/build_asked_questions.py makes
    of tests/data (the sets up to qa_blind7 asked, the later ones heard), so the measured
    figures say what was learnt from."""
    script = ROOT / "scripts" / "build_asked_questions.py"
    completed = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                               text=True)
    assert completed.returncode == 0, completed.stderr


def test_a_rebuild_reuses_what_did_not_change_and_reads_what_did():
    """A rebuild with the same vocabulary re-analyses only the fields that changed (see
    index._last_build); its answers are those of a build from scratch."""
    vocabulary = Vocabulary.from_file()
    knowledge = load_knowledge(FIXTURE)
    KnowledgeBase(knowledge, vocabulary=vocabulary)
    first, *others = knowledge.entries
    text = Localized(f"{first.text.vi} Làng gốm Bát Tràng là một ví dụ.",
                     f"{first.text.en} The Bat Trang pottery village is an example.")
    changed = Knowledge(knowledge.topics, (replace(first, text=text), *others))
    rebuilt = KnowledgeBase(changed, vocabulary=vocabulary)
    fresh = KnowledgeBase(changed, vocabulary=Vocabulary.from_file())
    questions = ["làng gốm bát tràng", "lang gom bat trang", "bat trang pottery village",
                 "hội chợ trong nước có hỗ trợ gian hàng không", "khuyen cong la gi"]
    for question in questions:
        got, expected = rebuilt.search(question), fresh.search(question)
        assert (got.answer and got.answer.id, got.score, got.confident) == (
            expected.answer and expected.answer.id, expected.score, expected.confident)
    found = rebuilt.search("làng gốm Bát Tràng")
    assert found.answer is not None and found.answer.id == first.id


@pytest.mark.parametrize(("text", "chat", "typed_in"), [
    # Typed without diacritics, "so", "the", "long" are số, thế, lòng as much as English.
    ("hkd ghi mst so nao", "vi", "vi"),
    ("mua may xong ai xuong nghiem thu", "vi", "vi"),
    ("gia dien san xuat gio cao diem bao nhieu 1 so", "vi", "vi"),
    ("khuyen cong la gi", "en", "vi"),
    ("how long is the typical product certificate valid", "vi", "en"),
    ("Who approves the national industrial promotion plan?", "vi", "en"),
    ("My workshop is in a ward (phường) of Hai Phong, not a commune. Am I still eligible?",
     "vi", "en"),
    ("ok", "en", "en"),  # says nothing either way: the chat's language
])
def test_the_language_a_question_is_typed_in(text: str, chat: str, typed_in: str):
    assert KnowledgeBase.from_directory(REAL_KB).search(text, chat).lang == typed_in


@pytest.mark.parametrize("question", [
    # Farmers making crafts on the side, food made for restaurants, workers who quit: words of
    # other offices' areas in questions about the centre's own support.
    "nong dan lam nghe phu dan may tre co duoc ho tro khong",
    "hộ nông dân làm bánh đa nem có được hỗ trợ máy không",
    "cơ sở sản xuất bánh cho nhà hàng có được hỗ trợ không",
    "công nhân thất nghiệp muốn học nghề may thì có lớp không",
    # Limestone (đá vôi typed plain) is not football (đá với).
    "khai thac da voi lam voi bot co duoc ho tro may khong",
    # Whether the centre lends or grants (a last blind probe: taken for a bank question).
    "định vay tiền mua máy, bên trung tâm có cho vay ưu đãi ko hay chỉ hỗ trợ tiền",
    # Whether a household business is eligible or must first become a company (the
    # sixteenth blind set: taken for a question on registering a company).
    "Hộ cá thể thì có thuộc đối tượng không hay phải thành lập công ty mới được xét?",
    "ho ca the co thuoc doi tuong khong hay phai thanh lap cong ty",
    # Cleaning up after a fine for pollution; whether a firm with so many insured workers is
    # of medium size.
    "xưởng tôi bị phạt vì ô nhiễm, giờ muốn đầu tư xử lý khí thải có được hỗ trợ không",
    "cty e 180 lđ đóng bhxh, làm cơ khí, có tính là dn vừa k",
    # The papers of the centre's dossier, asked in English (qa_blind21: turned away as a
    # question on registering a business); brand support, not the IP office's filing.
    "what documents do I need, is a business licence enough?",
    "khuyến công có hỗ trợ đăng ký nhãn hiệu không",
    # Internet to sell online, a workshop making harvesters: not a telecom or a farm question.
    "xưởng có cần lắp internet để bán hàng online không",
    "xưởng em sản xuất máy gặt đập có được hỗ trợ không",
    # A workshop's spray booth is no orchard's spraying; a distillery's equipment is the
    # centre's question, its licence is not.
    "xưởng sơn phun thuốc chống mối cho đồ gỗ có được hỗ trợ máy phun không",
    "lò nấu rượu thủ công có được hỗ trợ mua nồi chưng cất không",
    # Plain "sau duc" is also "sau đúc" (after casting); a fruit farm's drying workshop.
    "san pham sau duc can may lam sach co dc ho tro ko",
    "we run a fruit farm and want a drying workshop for longan, is the machinery supported?",
    # A workshop making fire equipment is rural industry, whatever the fire area says.
    "xưởng em sản xuất bình chữa cháy mini có được hỗ trợ máy không",
    "we manufacture fire extinguishers, can we get machinery support",
    # Social insurance, employment and customs stay outside beside a word of the centre's
    # (regardless_of_anchors), but not when they ask whether a firm may apply, or about the
    # centre's classes and fairs abroad.
    "xưởng em có 50 lao động đóng bhxh, có thuộc đối tượng khuyến công không",
    "cty 120 người đóng bảo hiểm xã hội thì có được khuyến công hỗ trợ máy không",
    "dn 250 cong nhan dong bhxh co thuoc doi tuong ko",
    "khuyến công hỗ trợ đi hội chợ nước ngoài thì thủ tục hải quan hàng mẫu ra sao",
    # What the centre pays for a fair abroad, visas named.
    "đi hội chợ nước ngoài có được hỗ trợ chi phí làm visa không",
    # Nor when the area is only told in the story of a long message, as without an anchor.
    "xưởng em 40 công nhân đều đóng bhxh đầy đủ, làm đồ gỗ ở xã An Lão, năm nay muốn mua thêm "
    "máy chà nhám. Cho em hỏi thủ tục xin khuyến công thế nào ạ?",
])
def test_a_question_of_the_centre_naming_another_area_is_not_turned_away(question: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert result.outside is None and result.answer is not None


def test_an_answer_the_classifier_agrees_with_is_given_from_a_lower_score():
    """Below CONFIDENT_FROM, a question of several words is still answered outright when the
    classifier (handlers/kb/classifier.py) picks the same entry as the ranking."""
    result = KnowledgeBase.from_directory(FIXTURE).search("mô hìn trình diễn nghĩa là như nào ad")
    assert result.answer is not None and result.answer.id == "mo-hinh-trinh-dien"
    assert CONFIDENT_AGREED <= result.score < CONFIDENT_FROM
    assert result.confident


@pytest.mark.parametrize(("question", "still_answered"), [
    ("mô hìn trình diễn nghĩa là sao ad", False),  # answered from a lower score otherwise
    ("đi hội chợ ở Hà Nội có được hỗ trợ tiền gian hàng ko", False),  # by the score alone
    ("hội chợ trong nước có hỗ trợ gian hàng không", True),  # close to a sample question
])
def test_an_answer_the_classifier_disagrees_with_is_only_offered(
        tmp_path: Path, question: str, still_answered: bool):
    """Questions like those of outside.yaml (asked, and not the centre's business) make the
    classifier pick no entry: the ranking's best is then a "did you mean", not an answer,
    unless it scores AGREEMENT_NEEDED_BELOW or more."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE, target)
    before = KnowledgeBase.from_directory(target).search(question)
    (target / "outside.yaml").write_text(f'outside:\n  - "{question}"\n', encoding="utf-8")
    after = KnowledgeBase.from_directory(target).search(question)
    assert before.confident
    assert after.answer == before.answer and after.score == before.score
    assert after.confident == still_answered
    assert (after.score >= AGREEMENT_NEEDED_BELOW) == still_answered


SURE_STORIES = """\
asked:
  - id: hoi-cho-gian-hang
    questions:
      vi: ["nhà em làm gốm ở xã, năm nào cũng mang hàng đi hội chợ ở Hà Nội, tiền thuê gian hàng
            đắt quá, trung tâm có trả bớt không",
           "xưởng mây tre đan của tôi muốn đi hội chợ thủ công mỹ nghệ, thuê gian hàng mất mười lăm
            triệu, có được hỗ trợ không",
           "cơ sở nước mắm nhà em định đi hội chợ hàng tiêu dùng, gian hàng thuê đắt, khuyến công
            trả bao nhiêu phần trăm",
           "em làm bánh đa cua, muốn mang sản phẩm đi hội chợ triển lãm để tìm mối, tiền gian hàng
            có được hỗ trợ không ạ"]
"""


@pytest.mark.parametrize(("sure_lead", "answered"), [(20.0, True), (30.0, False)])
def test_a_long_story_scoring_low_is_answered_when_the_classifier_is_sure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sure_lead: float, answered: bool):
    """A story of the asker's own words scores low; it is answered outright when the classifier
    picks the same entry with a lead of SURE_LEAD (here about 27 nats: answered at 20, not 30)."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE, target)
    (target / "asked.yaml").write_text(SURE_STORIES, encoding="utf-8")
    monkeypatch.setattr("handlers.kb.index.SURE_LEAD", sure_lead)
    monkeypatch.setattr("handlers.kb.index.CALIBRATED_FROM", 2.0)  # the rule alone
    result = KnowledgeBase.from_directory(target).search(
        "Nhà tôi làm mây tre đan, bà con trong xóm cùng làm, năm nay muốn mang hàng đi bày bán ở "
        "hội chợ thủ công mỹ nghệ ngoài Hà Nội cho khách nước ngoài xem, năm ngoái đi một lần "
        "rồi, tiền thuê chỗ mười lăm "
        "triệu thì có được trả bớt không")
    assert result.answer is not None and result.answer.id == "hoi-cho-gian-hang"
    assert LONG_CONFIDENT_FROM <= result.score < CONFIDENT_AGREED
    assert result.confident == answered


@pytest.mark.parametrize(("lead", "gap", "runner_up_first"), [
    (6.0, 0.15, True),  # the classifier's pick, close behind: offered first
    (4.0, 0.15, False),  # a lead under REORDER_LEAD: the ranking's order
    (6.0, 0.001, False),  # too far behind the best: the ranking's order
])
def test_a_did_you_mean_offers_first_the_runner_up_the_classifier_picks(
        monkeypatch: pytest.MonkeyPatch, lead: float, gap: float, runner_up_first: bool):
    """Two close entries and no answer outright: the runner-up comes first when the classifier
    picks it with a lead of REORDER_LEAD and it scores within REORDER_GAP of the best."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    # The refund and the advance score close: the ranking's order, as the classifier agrees.
    question = "xin tạm ứng rồi mà không mua máy thì có phải trả lại không"
    ranking = kb.search(question)
    assert ranking.answer is not None and ranking.answer.id == "thu-tuc-hoan-tra"
    (runner_up, runner_up_score), *_ = ranking.alternatives
    assert 0.001 < ranking.score - runner_up_score < 0.15
    # Now the classifier picks the runner-up, so nothing is answered outright.
    number = [entry.id for entry in kb.entries()].index(runner_up.id)
    monkeypatch.setattr(QuestionClassifier, "choice",
                        lambda self, words, lang="vi": (number, lead))
    monkeypatch.setattr("handlers.kb.index.REORDER_LEAD", 5.0)
    monkeypatch.setattr("handlers.kb.index.REORDER_GAP", gap)

    result = kb.search(question)

    assert not result.confident
    offered = [result.answer] + [entry for entry, _score in result.alternatives]
    expected = [runner_up, ranking.answer] if runner_up_first else [ranking.answer, runner_up]
    assert offered[:2] == expected
    assert len(offered) == 1 + len(ranking.alternatives)


@pytest.mark.parametrize(("picks", "lead", "answered"), [
    (0, SHORT_SURE_LEAD + 1, 0),  # the ranking's best, the classifier sure: answered
    (0, SHORT_SURE_LEAD - 1, None),  # not sure enough: "did you mean"
    (1, SHORT_SURE_LEAD + 1, 1),  # the close runner-up, the classifier sure: that is answered
])
def test_a_short_question_scoring_low_is_answered_when_the_classifier_is_sure(
        monkeypatch: pytest.MonkeyPatch, picks: int, lead: float, answered: int | None):
    """A short question with a word no entry uses ("ép nhựa") scores under CONFIDENT_AGREED;
    it is answered outright when the classifier picks the best entry, or the runner-up close
    behind, with a lead of SHORT_SURE_LEAD."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    question = "máy ép nhựa được hỗ trợ bao nhiêu"
    ranking = kb.search(question)
    assert ranking.answer is not None and ranking.score < CONFIDENT_AGREED
    assert not ranking.confident
    entries = [ranking.answer] + [entry for entry, _score in ranking.alternatives]
    number = [entry.id for entry in kb.entries()].index(entries[picks].id)
    monkeypatch.setattr(QuestionClassifier, "choice",
                        lambda self, words, lang="vi": (number, lead))

    result = kb.search(question)

    assert result.confident == (answered is not None)
    assert result.answer == entries[picks if answered is None else answered]


def test_an_answer_the_rules_leave_unsure_is_given_when_its_calibrated_odds_are_high(
        monkeypatch: pytest.MonkeyPatch):
    """No rule answers "máy ép nhựa được hỗ trợ bao nhiêu" outright; the calibrated model does
    when its odds reach CALIBRATED_FROM, and its odds fall when the classifier reads the
    question as one outside the centre's remit."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    question = "máy ép nhựa được hỗ trợ bao nhiêu"
    monkeypatch.setattr("handlers.kb.index.CALIBRATED_FROM", 2.0)  # never
    unsure = kb.search(question)
    assert not unsure.confident and unsure.features is not None
    assert unsure.features.score == pytest.approx(unsure.score, abs=1e-4)
    odds = unsure.features.odds()

    monkeypatch.setattr("handlers.kb.index.CALIBRATED_FROM", odds - 0.01)
    answered = kb.search(question)
    assert answered.confident and answered.answer == unsure.answer
    monkeypatch.setattr("handlers.kb.index.CALIBRATED_FROM", odds + 0.01)
    assert not kb.search(question).confident

    monkeypatch.setattr("handlers.kb.index.CALIBRATED_FROM", odds - 0.01)
    monkeypatch.setattr(QuestionClassifier, "choice", lambda self, words, lang="vi": (None, 10.0))
    read_as_outside = kb.search(question)
    assert read_as_outside.features.classifier_outside
    assert read_as_outside.features.odds() < odds and not read_as_outside.confident


@pytest.mark.parametrize("question", [
    "khuyen cong co xin visa giup di hoi cho nuoc ngoai k",
    "đi hội chợ nước ngoài theo đoàn khuyến công thì tự làm hộ chiếu visa hay trung tâm lo",
])
def test_visas_beside_the_centres_words_are_told_first_and_the_answer_is_a_choice(question):
    """No entry says whether the centre gets visas for its delegations (told_before_any_answer):
    who issues them is told, and the entry on fairs abroad, confident alone, is a choice."""
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert result.named_outside == "immigration" and not result.confident
    assert result.answer is not None and result.answer.id == "hoi-cho-nuoc-ngoai"


def test_a_confident_answer_carries_no_calibration_features():
    result = KnowledgeBase.from_directory(REAL_KB).search("mua máy được hỗ trợ bao nhiêu tiền")
    assert result.confident and result.features is None


@pytest.mark.parametrize("probe", ["scope_probe", "scope_probe2"])
def test_the_boundary_of_the_centres_remit_holds_on_the_scope_probe(probe: str):
    """tests/data/scope_probe*.yaml: questions in scope that use other offices' words are never
    turned away, questions off topic that use the centre's are never answered outright, and
    small talk is small talk."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    data = yaml.safe_load((EVAL_SETS / f"{probe}.yaml").read_text(encoding="utf-8"))
    refused, answered, missed = [], [], []
    for item in data["questions"]:
        result = kb.search(item["q"], item["lang"])
        if item["kind"] == "in_scope" and (result.outside or result.small_talk):
            refused.append(item["q"])
        if item["kind"] == "off_topic" and result.confident:
            answered.append(item["q"])
        if item["kind"] == "small_talk" and not result.small_talk:
            missed.append(item["q"])
    assert (refused, answered, missed) == ([], [], [])


def test_small_talk_is_told_from_questions_that_open_like_it():
    """tests/data/small_talk_probe.yaml: no question that opens with small talk ("cảm ơn ad,
    thế còn hỗ trợ máy móc thì sao") is taken for it, and nine in ten of the messages with
    nothing to answer are small talk (the rest are rhetorical: "trả lời gì mà lan man thế")."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    data = yaml.safe_load((EVAL_SETS / "small_talk_probe.yaml").read_text(encoding="utf-8"))
    results = [(item, kb.search(item["q"], item["lang"])) for item in data["questions"]]
    swallowed = [item["q"] for item, result in results
                 if item["kind"] == "question" and (result.small_talk or result.outside)]
    recognised = [result.small_talk is not None
                  for item, result in results if item["kind"] == "small_talk"]
    assert swallowed == []
    assert sum(recognised) >= 0.9 * len(recognised)


@pytest.mark.parametrize(("said", "kind"), [
    # A thank-you note or a goodbye that asks nothing, however its words match an entry.
    ("Thay mặt hợp tác xã, tôi xin chân thành cảm ơn Trung tâm đã nhiệt tình hướng dẫn chúng "
     "tôi làm hồ sơ xin hỗ trợ máy móc.", "thanks"),
    ("Em cảm ơn ad, em sẽ chuẩn bị giấy tờ theo hướng dẫn rồi nộp hồ sơ sau ạ", "thanks"),
    ("hẹn gặp lại ad ở hội chợ nha", "bye"),
    ("cảm ơn ad, giúp em nhiều quá", "thanks"),  # thanks for help, not a request for it
    # Thanks for being shown something, not a request to be shown ("chỉ cho tôi quán…").
    ("cảm ơn ad đã chỉ cho em cách làm hồ sơ", "thanks"),
    ("cảm ơn trung tâm đã tìm giúp em mẫu đơn", "thanks"),
])
def test_a_message_that_closes_the_conversation_is_small_talk(said: str, kind: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(said)
    assert (result.answer, result.small_talk) == (None, kind)


@pytest.mark.parametrize("question", [
    "cảm ơn ad, cho em xin mẫu đơn đăng ký đề án",  # a request, with no question word
    "cảm ơn, thế còn hỗ trợ đào tạo thì sao",
    "thanks, and what about the fair booths",
    "cảm ơn, em đang cần hỗ trợ máy sấy",  # a need stated, not asked
    "cảm ơn, giúp em với, hồ sơ máy móc gồm gì",
    "nghệ nhân phải bao nhiêu tuổi mới được công nhận",  # an age, not the bot's
    "bán hàng online không",  # selling online, not whether someone is there
])
def test_thanks_with_a_request_or_a_question_is_not_small_talk(question: str):
    assert KnowledgeBase.from_directory(REAL_KB).search(question).small_talk is None


@pytest.mark.parametrize(("said", "kind"), [
    # Small talk in words of small talk, though no phrase of scope.yaml covers the message,
    # and rhetorical questions ("gì mà") among them.
    ("trả lời gì mà lan man thế, đọc chẳng hiểu gì", "complaint"),
    ("hỏi một đằng trả lời một nẻo", "complaint"),
    ("dạ cho em xin lỗi, nãy em nói hơi nặng lời", "ok"),
    # A personal question to the bot (the fifteenth blind set) was "not what I can help with".
    ("bot có người yêu chưa 😂", "identity"),
    ("ad ăn cơm chưa", "identity"),
])
def test_a_message_in_the_words_of_small_talk_is_small_talk(said: str, kind: str):
    result = KnowledgeBase.from_directory(REAL_KB).search(said)
    assert (result.answer, result.small_talk) == (None, kind)


def test_no_question_of_the_later_sets_is_taken_for_small_talk():
    """The small-talk odds (classifier.py) decide only for messages the search cannot answer:
    none of the later sets' in-scope or off-topic questions (heard.yaml's, the outside ones
    and those no entry answers) is small talk for them. One request is small talk, as its
    writer wanted ("keeps it very short and redirects to what the bot can help with")."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    wanted = {"Tell me a joke about fishermen",
              "e bị ny chia tay buồn quá ad ơi 😢"}  # a heartbreak: greeted, not answered
    names = ("qa_blind8", "qa_blind9", "qa_blind10", "qa_blind11", "qa_blind12", "qa_blind13",
             "qa_blind14", "qa_blind15", "qa_blind16", "qa_blind17",
             "qa_blind18", "qa_blind19", "qa_blind20", "qa_blind21", "qa_blind22", "qa_blind23",
             "qa_blind24", "qa_blind25", "qa_blind26", "qa_blind27", "qa_blind28",
             "qa_blind29")
    taken = [q.text for name in names for q in load_eval_set(EVAL_SETS / f"{name}.yaml")
             if q.group != "small_talk" and not q.no_entry and q.text not in wanted
             and kb.search(q.text, q.lang).small_talk]
    assert taken == []


def test_the_fillers_of_a_dictated_message_weigh_nothing():
    """Messages dictated by voice (the tenth blind set) carry "ờ", "ừm", "kiểu là": they are
    stop words, so the question scores as if typed without them."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    dictated = kb.search("ờ kiểu là cho tôi hỏi ừm mua máy được hỗ trợ bao nhiêu")
    typed = kb.search("cho tôi hỏi mua máy được hỗ trợ bao nhiêu")
    assert dictated.answer is not None and dictated.answer.id == "may-moc-muc-ho-tro"
    assert (dictated.score, dictated.confident) == (typed.score, typed.confident)


@pytest.mark.parametrize("question", [
    # Words of the phrases added for off-topic questions (6 Dec 2026) in the centre's own
    # questions: extra classes in management, "2 tỷ so với", the electricity bill new equipment
    # saves, a genuine machine, hiring workers, a warranty.
    "muốn học thêm về quản lý sản xuất thì trung tâm có lớp không",
    "dau tu 2 ty so voi nam ngoai thi duoc ho tro them khong",
    "lắp máy tiết kiệm điện để giảm tiền điện có được hỗ trợ không",
    "mua máy chính hãng thì có được hỗ trợ không",
    "xưởng vừa tuyển thêm 10 công nhân muốn mua máy có được hỗ trợ không",
    "xuong tuyen cong nhan roi, giờ mua máy có dc hỗ trợ ko",
    # A workshop's customers or troubles named on the way (hospitals, hotels, restaurants,
    # power cuts, a university) in a question about support.
    "xưởng sửa máy cho bệnh viện có được hỗ trợ không",
    "cơ sở sản xuất đồ gỗ cho khách sạn có được hỗ trợ không",
    "cơ sở làm bánh bán cho quán ăn có được hỗ trợ không",
    "xưởng hay bị mất điện, mua máy phát có được hỗ trợ không",
    "xưởng may đồng phục cho trường đại học có được hỗ trợ máy không",
    "máy được hỗ trợ có phải bảo hành không",
    # Plain spellings of the phrases of the second probe (6 Dec 2026): "sang che" is also
    # "sang chế (biến)", "phi san" "chi phí sản (xuất)", "nguoi yeu" "người yêu (cầu)", "mã hs"
    # a dossier's number; building a fishing boat and repairing a harvester are rural industry.
    "chuyển sang chế biến thực phẩm thì cần điều kiện gì",
    "chi phi san xuat cao qua, khuyen cong giup gi",
    "người yêu cầu hỗ trợ phải nộp gì",
    "mã hs của em nộp rồi giờ xem ở đâu",
    "đóng tàu cá có được hỗ trợ không",
    "sửa máy cày có được hỗ trợ không",
    "can a limited company get help",
    "sản phẩm vi phạm sở hữu trí tuệ thì có được dự thi không",
    # "tham gia hôm nay", "giấy phép" of the centre's own dossier.
    "tham gia hội chợ hôm nay có cần mang giấy phép kinh doanh không",
    "máy mới mua có cần giấy phép hoạt động không thì mới được hỗ trợ",
    "máy mới mua có phải kiểm định chất lượng không thì mới được hỗ trợ",
    "khuyến công hỗ trợ doanh nghiệp nhỏ và vừa bao nhiêu",
    # The papers of the centre's dossier, in the words of business registration.
    "nộp hồ sơ có cần bản sao giấy phép kinh doanh không",
    "hồ sơ có cần giấy phép kinh doanh không",
])
def test_the_centres_question_with_a_word_of_an_off_topic_phrase_is_not_turned_away(
        question: str):
    assert KnowledgeBase.from_directory(REAL_KB).search(question).outside is None


def test_no_sample_or_asked_question_of_an_entry_is_turned_away():
    """Every question an entry answers (its sample questions, and those people asked) reaches
    the search: no phrase of scope.yaml takes it for small talk or another office's business."""
    kb = KnowledgeBase.from_directory(REAL_KB)
    turned_away = [
        (entry.id, question)
        for entry in kb.entries() for lang in ("vi", "en")
        for question in (*entry.questions.get(lang), *entry.asked.get(lang))
        if (result := kb.search(question, lang)).outside or result.small_talk
    ]
    assert turned_away == []


def test_a_trader_is_told_that_trading_alone_does_not_qualify():
    """Asked in several blind sets ("cty e chi buon ban thuong mai, k san xuat thi co dc khuyen
    cong ko"): the eligibility entry now says so, from the decree's "trực tiếp ... sản xuất"."""
    result = KnowledgeBase.from_directory(REAL_KB).search(
        "doanh nghiệp chỉ buôn bán có được hưởng khuyến công không")
    assert result.answer is not None and result.answer.id == "doi-tuong-hien-hanh"
    assert result.confident
    assert "không trực tiếp sản xuất" in result.answer.text.vi


@pytest.mark.parametrize(("listed", "misspelt"), [
    ("regardless_of_anchors: [fire,", "regardless_of_anchors: [fires,"),
    ("told_before_any_answer: [immigration,", "told_before_any_answer: [imigration,"),
])
def test_an_area_listed_in_scope_yaml_must_be_an_area(tmp_path, listed: str, misspelt: str):
    """A misspelt area under regardless_of_anchors or told_before_any_answer would quietly do
    nothing."""
    from handlers.kb.scope import SCOPE_FILE, ScopeRules

    text = SCOPE_FILE.read_text(encoding="utf-8")
    assert listed in text
    (tmp_path / "scope.yaml").write_text(text.replace(listed, misspelt), encoding="utf-8")
    with pytest.raises(ValueError, match=misspelt.split("[")[1].strip("[],")):
        ScopeRules.from_file(tmp_path / "scope.yaml")


def test_a_staff_answer_is_dated_by_the_day_in_vietnam():
    """Added at 2 a.m. in Hai Phong (19:00 UTC the day before), it showed yesterday's date."""
    from datetime import UTC, datetime

    from handlers.kb.staff_answers import staff_entry

    for added_at in (datetime(2026, 12, 7, 19, 30, tzinfo=UTC), datetime(2026, 12, 7, 19, 30)):
        entry = staff_entry(1, "Trung tâm có làm thứ bảy không?", "Có, buổi sáng.", added_at)
        assert entry.reviewed.isoformat() == "2026-12-08" and "(08/12/2026)" in entry.source


@pytest.mark.parametrize("question", ["Gian hàng hội chợ có được cấp điện 3 pha không ạ?",
                                      "gian hang hoi cho co dien ba pha ko"])
def test_power_at_a_fairs_booth_is_the_centres_question(question: str) -> None:
    """A staff answer on it was told the power company's business instead (7 Dec 2026)."""
    result = KnowledgeBase.from_directory(REAL_KB).search(question)
    assert result.outside is None and result.named_outside is None
