"""XLSForm workbooks, as KoboToolbox and ODK write them, read into the form model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.settings import PROJECT_ROOT
from handlers.forms.model import QuestionType
from handlers.forms.xlsform import Problem, XLSFormError, check_xlsform, load_xlsform

SHIPPED = PROJECT_ROOT / "surveys" / "khao-sat-nhu-cau-ho-tro-khuyen-cong.xlsx"
VI, EN = "label::Tiếng Việt (vi)", "label::English (en)"


def has_expression_parser() -> bool:
    if importlib.util.find_spec("handlers.forms.expressions") is None:
        return False
    from handlers.forms import expressions

    try:
        expressions.parse("1")
    except NotImplementedError:
        return False
    return True


needs_expressions = pytest.mark.skipif(not has_expression_parser(),
                                       reason="handlers.forms.expressions not merged yet")


def workbook(path: Path, survey: list[list], choices: list[list] | None = None,
             settings: list[list] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            extra = book.create_sheet(title)
            for row in rows:
                extra.append(row)
    book.save(path)
    return path


def kobo(path: Path, *rows: list, choices: list[list] | None = None) -> Path:
    """A KoboToolbox export: translated columns, $kuid/$autoname, required as true."""
    header = ["type", "name", VI, EN, "required", "relevant", "constraint",
              "constraint_message::Tiếng Việt (vi)", "constraint_message::English (en)",
              "$kuid", "$autoname"]
    base_choices = [["list_name", "name", VI, EN, "$kuid"],
                    ["yes_no", "yes", "Có", "Yes", "k1"], ["yes_no", "no", "Không", "No", "k2"]]
    return workbook(path, [header, *rows], choices or base_choices,
                    [["form_title", "form_id", "version"], ["Khảo sát", "kobo_form", "7"]])


def problems_at(problems: list[Problem], row: int) -> list[str]:
    return [p.message for p in problems if p.row == row]


def test_kobo_workbook_becomes_a_form(tmp_path: Path) -> None:
    path = kobo(tmp_path / "kobo.xlsx",
                ["start", "start", None, None, None, None, None, None, None, "a1", "start"],
                ["select_one yes_no", "has_machine", "Có máy chưa?", "Any machine?", "true",
                 None, None, None, None, "a2", "has_machine"],
                ["integer", "machines", "Bao nhiêu máy?", "How many machines?", "false",
                 "${has_machine} = 'yes'", ". >= 1", "Ít nhất 1", "At least 1", "a3",
                 "machines"])
    assert check_xlsform(path) == []
    form = load_xlsform(path)
    assert (form.code, form.version, form.languages) == ("kobo_form", "7", ("vi", "en"))
    assert form.metadata == {"start": "start"}
    owner, count = form.questions
    assert owner.type is QuestionType.SELECT_ONE and owner.required
    assert [o.name for o in owner.options] == ["yes", "no"]
    assert owner.options[0].label.get("en") == "Yes"
    assert owner.options[0].properties == {"$kuid": "k1"}
    assert count.type is QuestionType.INTEGER and not count.required
    assert count.relevant == "${has_machine} = 'yes'"
    assert count.constraint_message.get("vi") == "Ít nhất 1"
    assert count.source == ("survey", 4)


def test_odk_workbook_with_old_syntax_groups_with_spaces_and_or_other(tmp_path: Path) -> None:
    path = workbook(tmp_path / "odk.xlsx", [
        ["type", "name", "label", "hint"],
        ["today", "today"],
        ["begin group", "place", "Nơi sản xuất"],
        ["select one from yes_no", "village", "Trong làng nghề?"],
        ["select_one sector or_other", "sector", "Ngành?", "Chọn một"],
        ["end group"],
        ["text", "name_text", "Tên?"],
    ], [["list name", "name", "label"], ["yes_no", "yes", "Có"], ["yes_no", "no", "Không"],
        ["sector", "food", "Chế biến thực phẩm"], ["sector", "crafts", "Thủ công"]])
    assert check_xlsform(path) == []
    form = load_xlsform(path)
    assert form.code == "odk" and form.languages == ("vi",)
    assert len(form.version) == 12  # no version in the settings: a hash of the file
    assert [q.name for q in form.questions] == ["village", "sector", "sector_other",
                                                 "name_text"]
    assert form.question("village").section.get("vi") == "Nơi sản xuất"
    assert not form.question("name_text").section
    sector = form.question("sector")
    assert [o.name for o in sector.options] == ["food", "crafts", "other"]
    assert sector.options[-1].label.get("vi") == "Khác"
    other = form.question("sector_other")
    assert other.type is QuestionType.TEXT and other.other_of == "sector"
    assert other.relevant == "selected(${sector}, 'other')"
    assert other.source == ("survey", 5)
    # pyxform adds "other" to the shared list; a select without or_other does not get it.
    assert [o.name for o in form.question("village").options] == ["yes", "no"]


@pytest.mark.parametrize(("kind", "reason"), [
    ("geopoint", "location"), ("geotrace", "location"), ("geoshape", "location"),
    ("image", "uploads"), ("audio", "uploads"), ("video", "uploads"), ("file", "uploads"),
    ("barcode", "barcode"), ("background-audio", "background recording"),
    ("rank yes_no", "ranking"), ("select_one_from_file villages.csv", "choices from a file"),
    ("select_multiple_from_file villages.csv", "choices from a file"),
    ("dateTime", "date-and-time"),
])
def test_types_a_chat_cannot_ask_are_refused_with_the_reason(
        tmp_path: Path, kind: str, reason: str) -> None:
    path = workbook(tmp_path / "refused.xlsx", [
        ["type", "name", "label"], ["text", "first", "Tên?"], ["note", "gap", "…"],
        [kind, "thing", "Thing?"],
    ], [["list_name", "name", "label"], ["yes_no", "yes", "Có"], ["yes_no", "no", "Không"]])
    (problem,) = check_xlsform(path)
    assert (problem.sheet, problem.row, problem.column) == ("survey", 4, "type")
    assert "is not supported" in problem.message and reason in problem.message
    with pytest.raises(XLSFormError):
        load_xlsform(path)


def test_repeat_groups_and_unknown_types_are_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "repeat.xlsx", [
        ["type", "name", "label"],
        ["begin_repeat", "products", "Sản phẩm"], ["text", "product", "Tên sản phẩm"],
        ["end_repeat"],
        ["teleport", "beam", "Beam me up"],
    ])
    problems = check_xlsform(path)
    assert "repeat groups are not supported" in problems_at(problems, 2)[0]
    assert problems_at(problems, 5) == ["unknown question type 'teleport'"]


def test_metadata_is_recorded_never_asked_and_phone_types_differ(tmp_path: Path) -> None:
    path = workbook(tmp_path / "meta.xlsx", [
        ["type", "name", "label"],
        ["start", "started"], ["end", "ended"], ["deviceid", "device"],
        ["phonenumber", "device_phone"], ["username", "user"], ["audit", ""],
        ["phone number", "phone", "Số điện thoại?"],
        ["acknowledge", "ok", "Đồng ý?"], ["trigger", "ok2", "Tiếp tục?"],
        ["calculate", "twice", None], ["note", "hello", "Xin chào"],
    ])
    assert problems_at(check_xlsform(path), 11) == ["Missing calculation."]  # pyxform's
    path = workbook(tmp_path / "meta2.xlsx", [
        ["type", "name", "label", "calculation"],
        ["start", "started"], ["end", "ended"], ["deviceid", "device"],
        ["phonenumber", "device_phone"], ["username", "user"], ["audit", ""],
        ["phone number", "phone", "Số điện thoại?"],
        ["acknowledge", "ok", "Đồng ý?"], ["trigger", "ok2", "Tiếp tục?"],
        ["calculate", "twice", None, "2 * 2"], ["note", "hello", "Xin chào"],
        ["range", "score", "Điểm?"],
    ])
    form = load_xlsform(path)
    assert form.metadata == {"started": "start", "ended": "end", "device": "deviceid",
                             "device_phone": "phonenumber", "user": "username",
                             "audit": "audit"}
    types = {q.name: q.type for q in form.questions}
    assert types == {"phone": QuestionType.PHONE, "ok": QuestionType.ACKNOWLEDGE,
                     "ok2": QuestionType.ACKNOWLEDGE, "twice": QuestionType.CALCULATE,
                     "hello": QuestionType.NOTE, "score": QuestionType.INTEGER}
    assert form.question("twice").calculation == "2 * 2"
    assert not form.question("twice").is_asked
    assert form.question("score").constraint == ". >= 1 and . <= 10"


def test_custom_types_by_type_or_by_appearance(tmp_path: Path) -> None:
    path = workbook(tmp_path / "custom.xlsx", [
        ["type", "name", "label", "appearance"],
        ["tax_code", "mst", "Mã số thuế"], ["commune", "xa", "Xã"],
        ["text", "mst2", "Mã số thuế", "tax_code"], ["text", "xa2", "Xã", "commune"],
    ])
    form = load_xlsform(path)
    assert [q.type for q in form.questions] == [QuestionType.TAX_CODE, QuestionType.COMMUNE,
                                                 QuestionType.TAX_CODE, QuestionType.COMMUNE]


def test_language_columns_in_every_convention(tmp_path: Path) -> None:
    for header in (["label::vi", "label::en"], ["label::Vietnamese", "label::English"],
                   ["label", "label::English (en)"]):
        path = workbook(tmp_path / "langs.xlsx", [["type", "name", *header],
                                                  ["text", "q", "Tên?", "Name?"]])
        form = load_xlsform(path)
        assert form.languages == ("vi", "en"), header
        assert form.question("q").label.values == {"vi": "Tên?", "en": "Name?"}
    path = workbook(tmp_path / "en.xlsx", [["type", "name", "label"], ["text", "q", "Name?"]],
                    settings=[["default_language"], ["English (en)"]])
    form = load_xlsform(path)
    assert form.languages == ("en",)
    assert form.question("q").label.get("vi") == "Name?"  # one language: shown to everyone
    path = workbook(tmp_path / "fr.xlsx", [["type", "name", "label::Klingon"],
                                           ["text", "q", "nuqneH"]])
    problem = check_xlsform(path)[0]
    assert (problem.row, problem.column) == (1, "label::Klingon")
    assert "cannot tell the language" in problem.message


def test_missing_translations_are_reported_by_row_and_column(tmp_path: Path) -> None:
    path = kobo(tmp_path / "missing.xlsx",
                ["text", "a", "Tên?", None],
                ["text", "b", "Tuổi?", "Age?", None, None, ". > 0", None, "Positive"],
                choices=[["list_name", "name", VI, EN], ["x", "y", "Có", None]])
    problems = check_xlsform(path)
    assert Problem("survey", 2, EN, "label missing in 'en' (given in vi)") in problems
    assert Problem("survey", 3, "constraint_message::Tiếng Việt (vi)",
                   "constraint_message missing in 'vi' (given in en)") in problems
    assert Problem("choices", 2, EN, "label missing in 'en' (given in vi)") in problems


def test_references_to_later_or_missing_questions(tmp_path: Path) -> None:
    path = workbook(tmp_path / "refs.xlsx", [
        ["type", "name", "label", "relevant", "constraint"],
        ["integer", "workers", "Số lao động?", "${owners} > 0", ". >= ${workers}"],
        ["integer", "owners", "Số chủ? (${workers} người)", None, ". <= ${later}"],
        ["integer", "later", "Sau?"],
    ])
    problems = check_xlsform(path)
    assert problems_at(problems, 2) == [
        "${owners} is asked later (row 3); only answers given before this row can be used"]
    assert problems_at(problems, 3) == [
        "${later} is asked later (row 4); only answers given before this row can be used"]
    assert {p.column for p in problems} == {"relevant", "constraint"}


def test_a_missing_reference_or_choices_list_is_pyxforms_error_with_its_row(
        tmp_path: Path) -> None:
    path = workbook(tmp_path / "missing.xlsx", [
        ["type", "name", "label", "relevant"], ["text", "a", "A?", "${nowhere} = 1"]])
    (problem,) = check_xlsform(path)
    assert (problem.sheet, problem.row, problem.column) == ("survey", 2, "relevant")
    assert "nowhere" in problem.message
    path = workbook(tmp_path / "nolist.xlsx", [
        ["type", "name", "label"], ["text", "a", "A?"], ["select_one sizes", "b", "B?"]],
        [["list_name", "name", "label"], ["other_list", "x", "X"]])
    (problem,) = check_xlsform(path)
    assert (problem.row, problem.column) == (3, "type")
    assert "sizes" in problem.message


def test_group_relevance_applies_to_its_questions(tmp_path: Path) -> None:
    path = workbook(tmp_path / "group.xlsx", [
        ["type", "name", "label", "relevant"],
        ["integer", "workers", "Số lao động?"],
        ["begin_group", "big", "Cơ sở lớn", "${workers} > 50"],
        ["text", "union", "Có công đoàn?", "${workers} > 100"],
        ["end_group"],
    ])
    form = load_xlsform(path)
    assert form.question("union").relevant == "(${workers} > 50) and (${workers} > 100)"
    assert form.question("union").section.get("vi") == "Cơ sở lớn"


def test_a_text_question_relevant_on_other_is_its_specify_other(tmp_path: Path) -> None:
    path = workbook(tmp_path / "other.xlsx", [
        ["type", "name", "label", "relevant", "choice_filter"],
        ["select_multiple needs", "needs", "Cần gì?"],
        ["text", "needs_more", "Ghi rõ", "selected(${needs}, 'other')"],
        ["select_one needs", "first", "Cần nhất?", None, "selected(${needs}, name)"],
    ], [["list_name", "name", "label", "group"], ["needs", "training", "Đào tạo", "a"],
        ["needs", "other", "Khác", "b"]])
    form = load_xlsform(path)
    assert form.question("needs_more").other_of == "needs"
    first = form.question("first")
    assert first.choice_filter == "selected(${needs}, name)"
    assert first.options[0].properties == {"group": "a"}


@needs_expressions
def test_expression_errors_name_the_column(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bad.xlsx", [
        ["type", "name", "label", "relevant", "constraint"],
        ["integer", "a", "A?", None, ". >= "],
        ["integer", "b", "B?", ". > 1"],
    ])
    problems = check_xlsform(path)
    assert [(p.row, p.column) for p in problems] == [(2, "constraint"), (3, "relevant")]
    assert problems[0].message.startswith("cannot read the expression")
    assert "only be used in constraint" in problems[1].message


def test_expression_checks_use_the_expressions_module(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bad.xlsx", [
        ["type", "name", "label", "relevance", "constraint", "required"],
        ["integer", "a", "A?", None, ". >="],
        ["integer", "b", "B?", ". > 1"],
        ["integer", "c", "C?", None, None, "${a} > 1 and"],
        ["integer", "d", "D?", None, None, "${a} > 1"],
    ])
    problems = check_xlsform(path)
    assert [(p.row, p.column) for p in problems] == [
        (2, "constraint"), (3, "relevance"), (4, "required"), (5, "required")]
    assert problems[0].message.startswith("cannot read the expression")
    assert "only be used in constraint" in problems[1].message
    assert problems[2].message.startswith("cannot read the expression")
    assert "condition in required is not supported" in problems[3].message


def test_required_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "req.xlsx", [
        ["type", "name", "label", "required", "required_message"],
        ["text", "a", "A?", "yes", "Bắt buộc"], ["text", "b", "B?", "TRUE"],
        ["text", "c", "C?", "1"], ["text", "d", "D?", "no"], ["text", "e", "E?"],
    ])
    form = load_xlsform(path)
    assert [q.required for q in form.questions] == [True, True, True, False, False]
    assert form.question("a").required_message.get("en") == "Bắt buộc"
    # As people mark it in Excel ("a condition in required is not supported" before).
    path = workbook(tmp_path / "marks.xlsx", [
        ["type", "name", "label", "required"], ["text", "a", "A?", "x"],
        ["text", "b", "B?", "có"], ["text", "c", "C?", "*"], ["text", "d", "D?", "không"]])
    assert [q.required for q in load_xlsform(path).questions] == [True, True, True, False]


def test_the_shipped_demand_survey_loads() -> None:
    assert check_xlsform(SHIPPED) == []
    form = load_xlsform(SHIPPED)
    assert form.code == "nhu_cau_2027" and form.languages == ("vi", "en")
    assert form.title.get("vi").startswith("Khảo sát nhu cầu hỗ trợ khuyến công")
    answered = [q for q in form.asked() if q.type is not QuestionType.NOTE]
    assert len(answered) == 19
    assert set(form.metadata) == {"start", "end", "today"}
    sections = {q.section.get("en") for q in form.questions if q.section}
    assert sections == {"Your establishment", "Support you need", "Contact"}
    assert form.question("may_moc_mo_ta").relevant == "selected(${noi_dung_ho_tro}, 'may_moc')"
    assert form.question("can_nhat").choice_filter == "selected(${noi_dung_ho_tro}, name)"
    assert form.question("noi_dung_khac").other_of == "noi_dung_ho_tro"
    assert form.question("ma_so_thue").type is QuestionType.TAX_CODE
    assert form.question("xa_phuong").type is QuestionType.COMMUNE
    assert form.question("dien_thoai").type is QuestionType.PHONE
    for question in form.questions:
        assert question.label.get("vi") and question.label.get("en"), question.name


def test_surveys_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["surveys", "check", str(SHIPPED)]) == 0
    assert capsys.readouterr().out == (
        "ok: nhu_cau_2027 version 2027.2, 19 questions, languages vi, en\n")
    bad = workbook(tmp_path / "bad.xlsx", [["type", "name", "label"], ["text", "a", "A?"],
                                           ["geopoint", "where", "Ở đâu?"]])
    assert main(["surveys", "check", str(bad)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{bad}:survey:3:type: 'geopoint' is not supported: a location")
    broken = workbook(tmp_path / "broken.xlsx", [["type", "name", "label"],
                                                 ["begin_group", "g", "G"], ["text", "a", "A"]])
    assert main(["surveys", "check", str(broken)]) == 1
    assert "Traceback" not in (out := capsys.readouterr().out)
    assert out.startswith(f"{broken}:survey:2::") and "end_group" in out
    assert main(["surveys", "check", str(tmp_path / "none.xlsx")]) == 1
    assert capsys.readouterr().out == f"{tmp_path / 'none.xlsx'}: file not found\n"


def test_real_workbooks_language_columns_that_say_nothing_are_left_out(tmp_path: Path) -> None:
    """Forms made by others were refused: an empty plain "hint" column beside "label::English
    (en)" made Vietnamese a language no label was given in; a "label::French" beside complete
    English labels could not be told."""
    path = workbook(tmp_path / "hint.xlsx", [["type", "name", "label::English (en)", "hint"],
                                             ["text", "q", "Name?", None]])
    assert check_xlsform(path) == []
    path = workbook(tmp_path / "french.xlsx",
                    [["type", "name", "label::English (en)", "label::French"],
                     ["text", "q", "Name?", "Nom ?"]])
    form = load_xlsform(path)
    assert form.question("q").label.values == {"en": "Name?"}


def test_a_duplicated_header_is_named(tmp_path: Path) -> None:
    path = workbook(tmp_path / "twice.xlsx", [["type", "name", "label", "label"],
                                              ["text", "q", "Tên?", "Tên?"]])
    assert [p.message for p in check_xlsform(path)] == ["Duplicate column header: label"]


def test_a_choice_filter_on_a_column_the_choices_sheet_lacks(tmp_path: Path) -> None:
    """It filtered every choice out: the required question could not be answered."""
    survey = [["type", "name", "label", "choice_filter"],
              ["select_one tinh", "tinh", "Tỉnh?", None],
              ["select_one huyen", "huyen", "Huyện?", "tinh = ${tinh}"]]
    choices = [["list_name", "name", "label", "ma_tinh"], ["tinh", "hp", "Hải Phòng", None],
               ["huyen", "al", "An Lão", "hp"]]
    problems = check_xlsform(workbook(tmp_path / "filter.xlsx", survey, choices))
    assert [(p.row, p.column, p.message) for p in problems] == [
        (3, "choice_filter", "the choices sheet has no column 'tinh' for choice_filter to test")]
    survey[2][3] = "ma_tinh = ${tinh} and starts-with(name, 'a')"
    assert check_xlsform(workbook(tmp_path / "right.xlsx", survey, choices)) == []


def test_decomposed_vietnamese_is_composed(tmp_path: Path) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Số lao động?")
    path = workbook(tmp_path / "nfd.xlsx", [["type", "name", "label"],
                                            ["integer", "q", decomposed]])
    assert load_xlsform(path).question("q").label.get("vi") == "Số lao động?"


def test_a_name_used_again_in_another_group_is_reported_at_its_own_row(tmp_path: Path) -> None:
    path = workbook(tmp_path / "groups.xlsx", [
        ["type", "name", "label"], ["begin_group", "may", "Máy móc"],
        ["integer", "so_luong", "Số máy"], ["end_group", None, None],
        ["begin_group", "lao_dong", "Lao động"], ["integer", "so_luong", "Số lao động"],
        ["end_group", None, None]])
    (problem,) = check_xlsform(path)
    assert (problem.row, problem.column) == (6, "name")
    assert "'so_luong' is already used (row 3)" in problem.message


def test_a_form_of_notes_and_calculations_asks_nothing(tmp_path: Path) -> None:
    """pyxform's calculate.xls was "ok … 0 questions", then an empty review in the chat."""
    path = workbook(tmp_path / "calc.xlsx", [
        ["type", "name", "label", "calculation"], ["calculate", "c", None, "1 + 1"],
        ["note", "n", "Cảm ơn anh/chị", None]])
    assert [p.message for p in check_xlsform(path)] == ["the form asks no questions"]


def test_computed_read_only_and_hidden_fields_are_never_asked(tmp_path: Path) -> None:
    """A decimal with a calculation (WFP's food consumption score) and a read-only text were
    asked, the typed figure feeding later calculations; a hidden field refused the form."""
    path = workbook(tmp_path / "computed.xlsx", [
        ["type", "name", "label", "calculation", "read_only", "default"],
        ["integer", "days", "Số ngày?", None, None, None],
        ["decimal", "score", "Điểm", "${days} * 2", "yes", None],
        ["text", "shown", "Chỉ để xem", None, "yes", None],
        ["hidden", "origin", None, None, None, "chatbot"],
        ["note", "said", "Điểm: ${score}", "${days} + 1", None, None],
        # KoboToolbox's version records, exported as question columns before
        ["calculate", "__version__", None, "'vGv7'", None, None],
        ["calculate", "_version__001", None, "'vAbc'", None, None],
    ])
    assert check_xlsform(path) == []
    form = load_xlsform(path)
    kinds = {q.name: (q.type, q.calculation) for q in form.questions}
    assert kinds["score"] == (QuestionType.CALCULATE, "${days} * 2")
    assert kinds["shown"][0] is QuestionType.NOTE
    assert kinds["origin"] == (QuestionType.CALCULATE, "'chatbot'")
    assert kinds["said"][0] is QuestionType.NOTE  # a note with a calculation stays a note
    assert "__version__" not in kinds and "_version__001" not in kinds


def test_a_plain_hint_beside_labels_in_one_language_is_in_that_language(tmp_path: Path) -> None:
    """pyxform's flat_xlsform_test: "label missing in 'vi' (given in en)", for a column that
    does not exist."""
    path = workbook(tmp_path / "flat.xlsx", [
        ["type", "name", "label::english", "hint"],
        ["text", "name", "Your name?", "As on your ID"],
    ])
    assert check_xlsform(path) == []
    form = load_xlsform(path)
    assert form.languages == ("en",)
    assert form.questions[0].hint.get("en") == "As on your ID"


def test_a_default_language_named_in_words_is_known(tmp_path: Path) -> None:
    path = workbook(tmp_path / "sw.xlsx", [["type", "name", "label"], ["text", "jina", "Jina?"]],
                    settings=[["default_language"], ["swahili"]])
    assert check_xlsform(path) == []
    assert load_xlsform(path).languages == ("sw",)


def test_a_form_id_too_long_for_a_button_is_refused(tmp_path: Path) -> None:
    """A 62-character form_id passed the check, and /khaosat then failed for everyone (its
    button's data was over Telegram's 64 bytes)."""
    code = "khao_sat_nhu_cau_ho_tro_khuyen_cong_cac_xa_phuong_dac_khu_2027"
    path = workbook(tmp_path / "long.xlsx", [["type", "name", "label"], ["text", "q", "Hỏi?"]],
                    settings=[["form_id"], [code]])
    (problem,) = check_xlsform(path)
    assert (problem.sheet, problem.column) == ("settings", "form_id")
    assert "too long" in problem.message


def test_headers_pyxform_fails_on_are_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """worldbank/iefieldkit's codebooks ("type:current") printed a traceback."""
    path = workbook(tmp_path / "codebook.xlsx", [["type", "name", "label", "type:current"],
                                                 ["text", "q", "Hỏi?", "x"]])
    (problem,) = check_xlsform(path)
    assert "column headers" in problem.message
