"""The evaluator's figures per group of questions, and questions no entry answers yet."""

from __future__ import annotations

from pathlib import Path

from handlers.kb import KnowledgeBase
from handlers.kb.evaluation import evaluate, load_eval_set

FIXTURE = Path(__file__).parent / "data" / "kb_fixture"
BOOTH = "hội chợ trong nước có hỗ trợ tiền thuê gian hàng không"  # hoi-cho-gian-hang


def test_a_set_with_groups_yields_figures_per_group(tmp_path: Path):
    eval_file = tmp_path / "set.yaml"
    eval_file.write_text(f"""questions:
  - q: "{BOOTH}"
    lang: vi
    group: vi_diacritics
    expect: hoi-cho-gian-hang
  - q: "khuyen cng la gi"
    lang: vi
    group: vi_no_diacritics
    expect: may-moc-muc-ho-tro
  - q: "hoi cho nuoc ngoai co bao ve may bay khong"
    lang: vi
    group: vi_no_diacritics
    expect: null
    no_entry: true
  - q: "{BOOTH}"
    lang: vi
    expect: hoi-cho-gian-hang
""", encoding="utf-8")
    questions = load_eval_set(eval_file)

    figures, misses = evaluate(KnowledgeBase.from_directory(FIXTURE), questions)

    assert [q.group for q in questions] == ["vi_diacritics", "vi_no_diacritics",
                                            "vi_no_diacritics", None]
    assert set(figures["by_group"]) == {"vi_diacritics", "vi_no_diacritics"}
    assert figures["by_group"]["vi_diacritics"]["questions"] == 1
    assert figures["by_group"]["vi_diacritics"]["top1"] == 1.0
    # The no_entry question counts neither as in scope nor as out of scope.
    assert figures["by_group"]["vi_no_diacritics"]["questions"] == 1
    assert figures["by_group"]["vi_no_diacritics"]["top1"] == 0.0
    assert figures["by_group"]["vi_no_diacritics"]["out_of_scope_refused"] == 0.0
    assert figures["no_entry_skipped"] == 1
    assert figures["questions"] == 3 and figures["top1"] == round(2 / 3, 4)
    assert figures["by_lang"]["vi"]["questions"] == 3
    assert [m.question.text for m in misses] == ["khuyen cng la gi"]
    assert misses[0].describe().startswith("[vi/vi_no_diacritics] ")


def test_a_set_without_groups_has_no_group_figures(tmp_path: Path):
    eval_file = tmp_path / "set.yaml"
    eval_file.write_text(f'questions:\n  - q: "{BOOTH}"\n    expect: hoi-cho-gian-hang\n',
                         encoding="utf-8")

    figures, _ = evaluate(KnowledgeBase.from_directory(FIXTURE), load_eval_set(eval_file))

    assert figures["by_group"] == {} and figures["no_entry_skipped"] == 0
    assert figures["top1"] == 1.0
