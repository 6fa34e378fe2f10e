"""Loading and checking the knowledge-base content files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from handlers.kb import KnowledgeError, Status, check_knowledge, load_knowledge, run_check

FIXTURE = Path(__file__).parent / "data" / "kb_fixture"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge base."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(directory: Path) -> list[str]:
    return [problem.message for problem in check_knowledge(directory)]


def test_fixture_loads_with_every_field():
    knowledge = load_knowledge(FIXTURE)

    assert [topic.id for topic in knowledge.topics] == ["chinh-sach", "hoi-cho", "may-moc"]
    entry = next(e for e in knowledge.entries if e.id == "hoi-cho-gian-hang")
    assert entry.topic == "hoi-cho"
    assert entry.status is Status.HISTORICAL
    assert entry.title.vi == "Hỗ trợ thuê gian hàng hội chợ trong nước"
    assert entry.title.get("en") == "Support for renting a booth at a domestic fair"
    assert entry.questions.vi[0] == "đi hội chợ có được hỗ trợ tiền gian hàng không"
    assert entry.facts == ("MH-07",)
    assert entry.reviewed == date(2025, 11, 20)
    assert entry.related == ("hoi-cho-nuoc-ngoai",)
    assert entry.file == "hoi-cho.yaml"
    assert check_knowledge(FIXTURE) == []
    assert run_check(FIXTURE)[0] == 0


def test_missing_vietnamese_text(kb_dir: Path):
    edit(kb_dir / "may-moc.yaml",
         'vi: "Kinh phí khuyến công quốc gia hỗ trợ tối đa 50% chi phí máy móc thiết bị '
         'tiên tiến, không quá 300 triệu đồng mỗi cơ sở."', 'vi: ""')

    problems = check_knowledge(kb_dir)

    assert [(p.file, p.entry, p.message) for p in problems] == [
        ("may-moc.yaml", "may-moc-muc-ho-tro", "entry 'may-moc-muc-ho-tro' has no Vietnamese text")
    ]
    assert problems[0].line == 2


def test_duplicate_id_names_the_other_file(kb_dir: Path):
    edit(kb_dir / "may-moc.yaml", "id: mo-hinh-trinh-dien", "id: khuyen-cong-la-gi")
    edit(kb_dir / "may-moc.yaml", "related: [mo-hinh-trinh-dien]", "related: []")

    assert messages(kb_dir) == ["duplicate id 'khuyen-cong-la-gi' (also in chinh-sach.yaml)"]


def test_link_to_unknown_entry(kb_dir: Path):
    edit(kb_dir / "hoi-cho.yaml", "related: [hoi-cho-nuoc-ngoai]", "related: [hoi-cho-quoc-te]")

    assert messages(kb_dir) == [
        "entry 'hoi-cho-gian-hang' links to unknown entry 'hoi-cho-quoc-te'"
    ]


def test_missing_source(kb_dir: Path):
    edit(kb_dir / "hoi-cho.yaml", 'source: "Thông tư 28/2018/TT-BTC, Điều 8 khoản 6"', "")

    assert messages(kb_dir) == ["entry 'hoi-cho-nuoc-ngoai' has no source"]


def test_unknown_topic(kb_dir: Path):
    edit(kb_dir / "hoi-cho.yaml", "topic: hoi-cho", "topic: hoi-thao")

    assert messages(kb_dir) == ["entry 'hoi-cho-gian-hang' has an unknown topic 'hoi-thao'"]


def test_yaml_syntax_error_reports_the_line(kb_dir: Path):
    edit(kb_dir / "hoi-cho.yaml", "    status: confirmed", "    status: [confirmed")

    problems = check_knowledge(kb_dir)

    assert [str(problem) for problem in problems] == [
        "hoi-cho.yaml:22: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence at line 21)"
    ]


def test_duplicate_key_is_a_problem_not_a_silent_overwrite(kb_dir: Path):
    edit(kb_dir / "hoi-cho.yaml", "    status: historical",
         "    status: historical\n    status: confirmed")

    [problem] = check_knowledge(kb_dir)
    assert problem.message == "YAML syntax error: duplicate key 'status'"
    assert problem.line == 5


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("id: hoi-cho-nuoc-ngoai", "id: Hoi_Cho", "entry number 2 has an invalid id 'Hoi_Cho': "
         "use lower-case ASCII words joined by hyphens, at most 48 characters"),
        ("    status: confirmed", "    status: draft", "entry 'hoi-cho-nuoc-ngoai' has an unknown "
         "status 'draft' (expected confirmed, unconfirmed or historical)"),
        ("    facts: [MH-04, MH-05]", "    fatcs: [MH-04]", "entry 'hoi-cho-nuoc-ngoai' has an "
         "unknown field 'fatcs'"),
        ("en: \"Fairs abroad and air tickets\"", "fr: \"Foires\"", "entry 'hoi-cho-nuoc-ngoai' "
         "has a title in an unknown language 'fr'"),
        ("reviewed: 2025-11-20\n    related: [hoi-cho-gian-hang]", "reviewed: 20/11/2025\n"
         "    related: [hoi-cho-gian-hang]", "entry 'hoi-cho-nuoc-ngoai' has an invalid "
         "reviewed date '20/11/2025' (expected YYYY-MM-DD)"),
        ("related: [hoi-cho-gian-hang]", "related: [hoi-cho-nuoc-ngoai]",
         "entry 'hoi-cho-nuoc-ngoai' links to itself"),
    ],
)
def test_other_entry_problems(kb_dir: Path, old: str, new: str, message: str):
    edit(kb_dir / "hoi-cho.yaml", old, new)

    assert message in messages(kb_dir)


def test_missing_english_title_of_a_topic(kb_dir: Path):
    edit(kb_dir / "topics.yaml", 'en: "Trade fairs"', 'en: ""')

    assert messages(kb_dir) == ["topic 'hoi-cho' has no English name"]


def test_missing_topics_file(kb_dir: Path):
    (kb_dir / "topics.yaml").unlink()

    assert messages(kb_dir) == ["topics.yaml is missing"]


def test_load_raises_with_every_problem_and_check_exits_non_zero(kb_dir: Path):
    edit(kb_dir / "hoi-cho.yaml", "topic: hoi-cho", "topic: hoi-thao")
    edit(kb_dir / "may-moc.yaml", 'source: "Thông tư 28/2018/TT-BTC, Điều 8 khoản 2"', "")

    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(kb_dir)

    assert len(raised.value.problems) == 2
    status, report = run_check(kb_dir)
    assert status == 1
    assert "hoi-cho.yaml:2: entry 'hoi-cho-gian-hang' has an unknown topic 'hoi-thao'" in report
    assert "2 problem(s)" in report


def test_an_id_too_long_for_a_button_is_reported(tmp_path: Path):
    source = Path(__file__).parent / "data" / "kb_fixture"
    shutil.copytree(source, tmp_path / "kb")
    target = next(p for p in (tmp_path / "kb").glob("*.yaml") if p.name != "topics.yaml")
    text = target.read_text(encoding="utf-8")
    first_id = text.split("- id:", 1)[1].split("\n", 1)[0].strip()
    target.write_text(text.replace(f"- id: {first_id}", "- id: " + "dai-" * 13 + "x", 1),
                      encoding="utf-8")
    problems = [str(p) for p in check_knowledge(tmp_path / "kb")]
    assert any("at most 48 characters" in p for p in problems), problems


ASKED = """\
asked:
  - id: hoi-cho-gian-hang
    questions:
      vi: ["e di hoi cho o ha noi thi dc ho tro gian hang ko", "  Hội chợ ở Hà Nội  "]
      en: ["booth at a fair in hanoi, any help?"]
"""


def test_asked_questions_are_attached_to_their_entries(kb_dir: Path):
    (kb_dir / "asked.yaml").write_text(ASKED, encoding="utf-8")

    knowledge = load_knowledge(kb_dir)

    entry = next(e for e in knowledge.entries if e.id == "hoi-cho-gian-hang")
    assert entry.asked.vi == ("e di hoi cho o ha noi thi dc ho tro gian hang ko",
                              "Hội chợ ở Hà Nội")
    assert entry.asked.en == ("booth at a fair in hanoi, any help?",)
    as_shipped = next(e for e in load_knowledge(FIXTURE).entries if e.id == entry.id)
    assert entry.questions == as_shipped.questions  # the sample questions stay as they were
    assert all(not e.asked.vi for e in knowledge.entries if e.id != "hoi-cho-gian-hang")


def test_heard_questions_are_attached_apart_from_the_asked_ones(kb_dir: Path):
    """heard.yaml has asked.yaml's form under `heard:`; its questions are the classifier's
    only, so they go to Entry.heard and leave Entry.asked as it was."""
    (kb_dir / "asked.yaml").write_text(ASKED, encoding="utf-8")
    (kb_dir / "heard.yaml").write_text(
        "heard:\n  - id: hoi-cho-gian-hang\n    questions: {vi: [\" gian hang hoi cho \"]}\n",
        encoding="utf-8")

    entry = next(e for e in load_knowledge(kb_dir).entries if e.id == "hoi-cho-gian-hang")

    assert entry.heard.vi == ("gian hang hoi cho",) and entry.heard.en == ()
    assert "gian hang hoi cho" not in entry.asked.vi and len(entry.asked.vi) == 2
    (kb_dir / "heard.yaml").write_text("asked: []\n", encoding="utf-8")
    assert messages(kb_dir) == ["the file must have a top-level 'heard:' list"]


def test_asked_questions_listed_twice_or_malformed_are_problems(kb_dir: Path):
    (kb_dir / "asked.yaml").write_text(
        ASKED + "  - id: hoi-cho-gian-hang\n    questions: {vi: [b]}\n"
        "  - id: may-moc-muc-ho-tro\n    questions: {fr: [c]}\n"
        "  - questions: {vi: [d]}\n", encoding="utf-8")

    assert messages(kb_dir) == [
        "the questions asked for 'hoi-cho-gian-hang' are listed twice",
        "entry 'may-moc-muc-ho-tro' has questions that are not lists under vi and en",
        "asked questions need the id of an entry, not None",
    ]


def test_asked_questions_of_a_removed_entry_do_not_stop_the_edit(
        kb_dir: Path, caplog: pytest.LogCaptureFixture):
    """Staff removed an entry: its asked questions answer nothing, with a warning, and the
    rest of the knowledge base loads."""
    (kb_dir / "asked.yaml").write_text(
        ASKED + "  - id: hoi-cho-quoc-te\n    questions: {vi: [a]}\n", encoding="utf-8")

    knowledge = load_knowledge(kb_dir)

    assert "hoi-cho-quoc-te" not in {entry.id for entry in knowledge.entries}
    assert "asked questions for an entry that no longer exists: hoi-cho-quoc-te" in caplog.text


def test_questions_outside_the_centres_remit_are_read(kb_dir: Path):
    assert load_knowledge(kb_dir).outside == ()  # the file is optional
    (kb_dir / "outside.yaml").write_text(
        'outside:\n  - "  giá vàng hôm nay "\n  - "vay ngân hàng lãi suất bao nhiêu"\n',
        encoding="utf-8")

    assert load_knowledge(kb_dir).outside == ("giá vàng hôm nay",
                                              "vay ngân hàng lãi suất bao nhiêu")


def test_an_outside_question_that_is_not_text_is_a_problem(kb_dir: Path):
    (kb_dir / "outside.yaml").write_text('outside:\n  - "giá vàng"\n  - {q: 1}\n  - ""\n',
                                         encoding="utf-8")

    assert messages(kb_dir) == ["{'q': 1} is not a question", "'' is not a question"]
