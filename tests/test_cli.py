"""The `khuyencong` command as the operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT
from handlers.kb.index import CALIBRATED_FROM


def khuyencong(*args: str, stdin: str = "", env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
        env={**os.environ, **env}, cwd=PROJECT_ROOT, timeout=60, check=False,
    )


def test_chat_json_reads_actions_and_prints_one_line_per_message(
    sqlite_url: str, locales_dir: Path, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": sqlite_url, "LOCALES_DIR": str(locales_dir),
           "EXPORT_DIR": str(tmp_path)}
    actions = [{"text": "/start"}, {"button": "ho so doanh nghiep cua toi"},
               {"button": "Tôi đồng ý"}, {"button": "no such button"}, "not an object"]
    result = khuyencong("chat", "--json", env=env,
                        stdin="\n".join(json.dumps(a) for a in actions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["text"].startswith("Xin chào")
    assert lines[0]["document"] is None
    assert {"label": "Hồ sơ doanh nghiệp của tôi", "data": "profile"} in lines[0]["buttons"]
    assert "Anh/chị có đồng ý không?" in lines[1]["text"]
    assert "1/5" in lines[3]["text"]
    assert "error" in lines[4] and "error" in lines[5]


def test_chat_json_in_english_as_operator(sqlite_url: str, locales_dir: Path) -> None:
    env = {"DATABASE_URL": sqlite_url, "LOCALES_DIR": str(locales_dir)}
    result = khuyencong("chat", "--json", "--staff", "--lang", "en", env=env,
                        stdin='{"text": "/nhanvien"}\n')
    assert result.returncode == 0, result.stderr
    assert "/capquyen" in json.loads(result.stdout.splitlines()[0])["text"]


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = khuyencong("db", "upgrade", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "fresh.db").stat().st_size > 0


def ask_json(question: str, sqlite_url: str, locales_dir: Path) -> str:
    """What `khuyencong ask --json` prints for `question`."""
    return ask_plain(question, sqlite_url, locales_dir, "--json")


def test_ask_json_prints_vietnamese_as_text_with_short_sources(
    sqlite_url: str, locales_dir: Path
) -> None:
    printed = ask_json("mua máy được hỗ trợ bao nhiêu tiền", sqlite_url, locales_dir)
    assert "\\u" not in printed and "hỗ trợ" in printed
    answer = json.loads(printed)["answer"]
    assert answer["sources"][0] == {"name": "Thông tư 28/2018/TT-BTC, Điều 8 khoản 4", "url": None}
    assert all(s["url"] is None or s["url"].startswith("http") for s in answer["sources"])


def test_ask_answers_a_question_typed_in_english_in_english(
    sqlite_url: str, locales_dir: Path
) -> None:
    found = json.loads(ask_json("how much support for buying machinery", sqlite_url,
                                locales_dir))
    assert found["lang"] == "en"
    assert found["answer"]["title"] == "How much support for buying machinery?"


def ask_plain(question: str, sqlite_url: str, locales_dir: Path, *options: str) -> str:
    """What `khuyencong ask` prints for `question`."""
    env = {"DATABASE_URL": sqlite_url, "LOCALES_DIR": str(locales_dir)}
    result = khuyencong("ask", *options, question, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ask_prints_the_chat_reply_to_an_off_topic_question_and_to_small_talk(
    sqlite_url: str, locales_dir: Path
) -> None:
    tax = ask_plain("hạn nộp thuế khi nào", sqlite_url, locales_dir)
    assert "cơ quan thuế" in tax and "Tôi trả lời các câu hỏi về hỗ trợ khuyến công" in tax
    assert ask_plain("alo", sqlite_url, locales_dir).startswith("Xin chào")
    thanks = json.loads(ask_json("cảm ơn bot nhé", sqlite_url, locales_dir))
    assert thanks["small_talk"] == "thanks" and thanks["reply"].startswith("Dạ, không có gì")
    bank = json.loads(ask_json("lãi suất vay ngân hàng bao nhiêu", sqlite_url, locales_dir))
    assert bank["answer"] is None and "hỏi ngân hàng" in bank["reply"]


def test_ask_prints_did_you_mean_choices_when_unsure_and_the_answer_when_sure(
    sqlite_url: str, locales_dir: Path
) -> None:
    unsure = json.loads(ask_json("hỗ trợ bao nhiêu", sqlite_url, locales_dir))
    assert not unsure["confident"] and 0 < unsure["calibrated_odds"] < CALIBRATED_FROM
    lines = unsure["reply"].splitlines()
    assert lines[0] == "Có phải anh/chị muốn hỏi một trong những nội dung sau?"
    titles = [unsure["answer"]["title"], *(a["title"] for a in unsure["alternatives"])][:4]
    assert lines[1:] == [f"- {title}" for title in titles]
    sure = ask_plain("how much support for buying machinery", sqlite_url, locales_dir)
    assert sure.startswith("How much support for buying machinery?\n\nFrom national funds")
    assert "\n- Thông tư 28/2018/TT-BTC, Điều 8 khoản 4\n" in sure  # the document's own name
