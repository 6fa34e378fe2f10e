"""Survey export speed and memory: CSV and XLSX of 100,000 responses, against sqlite3's own CSV.

Run from the project root (after `make setup`, which compiles the catalogs)::

    .venv/bin/python benchmarks/export_surveys.py [--rows 100000] [--keep DIR]

What it does:

1. Fills a fresh SQLite database (migrated with storage.migrate.upgrade) with ``--rows``
   submitted responses to a 15-question survey in two versions (the first without one
   question), plus 2% in-progress and voided responses that the export leaves out, each from
   its own establishment. Rows go in with the sqlite3 module's executemany, in the formats
   SQLAlchemy stores (JSON text, "YYYY-MM-DD HH:MM:SS.ffffff" UTC times), with the export
   row the application keeps (storage.surveys.export_row).
2. Exports CSV, then XLSX, with Vietnamese labels, each in a fresh child process
   (``--child``) that writes to a file and reports the seconds spent in ``export_survey``
   (engine and session included, Python start-up and imports not) and its own peak RSS
   (VmHWM from /proc; ``ru_maxrss`` would include the parent's peak, see peak_rss_mb).
   ``*_process_seconds`` is the child's whole wall time.
3. Runs the floor: the ``sqlite3`` command-line shell's ``-csv`` output of the same rows (the
   same joins, filter and order; raw columns, JSON undecoded) into a file; the shortest of
   three runs counts.

Prints one JSON object. Targets: CSV at most 3x the floor, XLSX at most 30 s, peak RSS at most
200 MB for each export. ``machine_loop_s`` times a fixed pure-Python loop, so figures from a
shared machine whose speed varies can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.forms.model import Form, Option, Question, QuestionType, Text, form_to_json

CODE = "nhu_cau_bench"
FLOOR_SQL = (
    "SELECT r.id, r.submitted_at, s.version, e.name, e.tax_code, e.commune, e.sector, "
    "r.progress, r.metadata FROM survey_responses r JOIN surveys s ON s.id = r.survey_id "
    "LEFT JOIN establishments e ON e.id = r.establishment_id "
    f"WHERE r.survey_code = '{CODE}' AND r.status = 'submitted' "
    "ORDER BY r.submitted_at, r.id")
TARGETS = {"csv_ratio": 3.0, "xlsx_seconds": 30.0, "peak_rss_mb": 200.0}


def vi_en(vi: str, en: str) -> Text:
    return Text({"vi": vi, "en": en})


def options(*pairs: tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(name, vi_en(vi, en)) for name, vi, en in pairs)


SECTOR_OPTIONS = options(
    ("food", "Chế biến nông, lâm, thủy sản, thực phẩm", "Food processing"),
    ("consumer", "Hàng tiêu dùng, xuất khẩu", "Consumer goods"),
    ("building", "Vật liệu xây dựng", "Building materials"),
    ("mechanical", "Cơ khí, điện, điện tử", "Mechanical and electronics"),
    ("handicraft", "Thủ công mỹ nghệ", "Handicrafts"),
    ("other", "Khác", "Other"))
NEEDS = options(
    ("machinery", "Máy móc thiết bị", "Machinery"),
    ("training", "Đào tạo nghề", "Training"),
    ("fair", "Hội chợ triển lãm", "Trade fairs"),
    ("brand", "Xây dựng thương hiệu", "Branding"),
    ("loan", "Vay vốn ưu đãi", "Preferential loans"))
YES_NO = options(("yes", "Có", "Yes"), ("no", "Không", "No"))
SIZE = options(("micro", "Siêu nhỏ", "Micro"), ("small", "Nhỏ", "Small"),
               ("medium", "Vừa", "Medium"))


def survey_form(version: str) -> Form:
    q = QuestionType
    questions = [
        Question("intro", q.NOTE, vi_en("Cảm ơn quý cơ sở!", "Thank you!")),
        Question("sector", q.SELECT_ONE, vi_en("Ngành nghề chính?", "Main sector?"),
                 options=SECTOR_OPTIONS),
        Question("size", q.SELECT_ONE, vi_en("Quy mô cơ sở?", "Size?"), options=SIZE),
        Question("workers", q.INTEGER, vi_en("Số lao động?", "Workers?")),
        Question("founded", q.INTEGER, vi_en("Năm thành lập?", "Year founded?")),
        Question("revenue", q.DECIMAL, vi_en("Doanh thu năm 2026 (tỷ đồng)?",
                                              "Revenue 2026 (billion VND)?")),
        Question("export_share", q.DECIMAL, vi_en("Tỷ lệ xuất khẩu (%)?", "Export share (%)?")),
        Question("needs", q.SELECT_MULTIPLE, vi_en("Cơ sở cần hỗ trợ gì?",
                                                   "What support is needed?"), options=NEEDS),
        Question("budget", q.DECIMAL, vi_en("Dự kiến đầu tư máy móc (đồng)?",
                                             "Planned investment (VND)?")),
        Question("commune", q.COMMUNE, vi_en("Xưởng sản xuất ở xã/phường nào?",
                                             "Workshop's commune?")),
        Question("products", q.TEXT, vi_en("Sản phẩm chính?", "Main products?")),
        Question("has_brand", q.SELECT_ONE, vi_en("Đã có thương hiệu?", "Own brand?"),
                 options=YES_NO),
        Question("contact", q.PHONE, vi_en("Số điện thoại liên hệ?", "Contact phone?")),
        Question("start_date", q.DATE, vi_en("Dự kiến bắt đầu đầu tư?",
                                             "Planned start of investment?")),
        Question("difficulties", q.TEXT, vi_en("Khó khăn lớn nhất?", "Biggest difficulty?")),
        Question("comment", q.TEXT, vi_en("Góp ý thêm?", "Any other comment?")),
    ]
    if version == "1":
        questions = [x for x in questions if x.name != "export_share"]
    return Form(code=CODE, version=version, title=vi_en("Khảo sát nhu cầu", "Needs survey"),
                questions=tuple(questions), languages=("vi", "en"),
                metadata={"start": "start", "end": "end", "today": "today",
                          "deviceid": "deviceid"})


PRODUCTS = ["Bàn ghế gỗ", "Mây tre đan xuất khẩu", "Gạch không nung", "Nước mắm truyền thống",
            "Bánh đa cua", "Khung thép nhà xưởng", "Linh kiện điện tử", "Quần áo may sẵn",
            "Gốm sứ mỹ nghệ", "Chiếu cói", "Thiết bị cơ khí nông nghiệp", "Tủ bếp inox"]
DIFFICULTIES = ["Thiếu vốn đầu tư máy móc mới", "Khó tuyển lao động có tay nghề",
                "Giá nguyên liệu đầu vào tăng cao", "Thị trường tiêu thụ bấp bênh",
                "Thủ tục vay vốn còn phức tạp", "Chưa có mặt bằng sản xuất ổn định"]
COMMENTS = ["Đề nghị Trung tâm tổ chức thêm lớp đào tạo về thương mại điện tử.",
            "Mong được hỗ trợ tham gia hội chợ ở Hà Nội và TP. Hồ Chí Minh.",
            "-5 triệu mỗi tháng cho tiền điện, rất khó khăn.", "=SUM(1,2)",
            "Cảm ơn cán bộ khuyến công đã nhiệt tình hướng dẫn.", ""]
NAME_PARTS = (["Công ty TNHH", "Công ty CP", "HTX", "Hộ kinh doanh", "Cơ sở"],
              ["Cơ khí", "Mây tre đan", "Gốm sứ", "Thực phẩm", "Dệt may", "Đồ gỗ", "Vật liệu"],
              ["Thành Phương", "An Hải", "Phú Nghĩa", "Hồng Bàng", "Kiến Thụy", "Tiên Lãng",
               "Đồ Sơn", "Cát Bà", "Thủy Nguyên", "Vĩnh Bảo"])


def stored_time(value: datetime) -> str:
    """How SQLAlchemy keeps a datetime in SQLite."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(path: Path, rows: int, seed: int = 7) -> None:
    """A migrated database with `rows` submitted responses (and 2% others) to CODE."""
    from storage.migrate import upgrade
    from storage.surveys import answer_names, export_row

    upgrade(f"sqlite+aiosqlite:///{path}")
    random_ = random.Random(seed)
    communes = _commune_codes()
    base = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    vietnam = timedelta(hours=7)
    extra = rows // 50
    db = sqlite3.connect(path)
    with db:
        now = stored_time(base)
        db.execute("INSERT INTO users (id, channel, channel_user_id, locale, role, created_at) "
                   "VALUES (1, 'telegram', '1', 'vi', 'user', ?)", (now,))
        names = {}
        for survey_id, version in ((1, "1"), (2, "2")):
            form = survey_form(version)
            names[survey_id] = answer_names(form_to_json(form))
            db.execute("INSERT INTO surveys (id, code, version, title, form, status, "
                       "imported_at, imported_by) VALUES (?, ?, ?, ?, ?, 'open', ?, 'bench')",
                       (survey_id, CODE, version, json.dumps(dict(form.title.values)),
                        json.dumps(form_to_json(form)), now))
        establishments = []
        responses = []
        for n in range(1, rows + extra + 1):
            name = " ".join(random_.choice(part) for part in NAME_PARTS)
            establishments.append((n, f"02{n:08d}", name, random_.choice(communes),
                                   random_.choice(["food", "consumer", "building", "mechanical",
                                                   "handicraft", "mineral", "other"]),
                                   now, now))
            survey_id = 1 if n <= rows // 3 else 2
            started = base + timedelta(seconds=n * 20 + random_.randint(0, 15))
            submitted = started + timedelta(minutes=random_.randint(3, 25))
            answers = _answers(random_, communes, with_share=survey_id == 2)
            history = [name for name in answers if answers[name] is not None]
            progress = {"a": answers, "q": None, "h": history, "s": None, "f": True,
                        "r": False}
            status = "submitted" if n <= rows else random_.choice(["in_progress", "voided"])
            metadata = {"start": (started + vietnam).replace(tzinfo=None).isoformat(
                timespec="seconds") + "+07:00",
                "today": (started + vietnam).date().isoformat(), "deviceid": "telegram"}
            if status == "submitted":
                metadata["end"] = (submitted + vietnam).replace(tzinfo=None).isoformat(
                    timespec="seconds") + "+07:00"
            responses.append((n, survey_id, CODE, 1, n, status, json.dumps(progress),
                              json.dumps(metadata), stored_time(started),
                              stored_time(submitted),
                              stored_time(submitted) if status == "submitted" else None,
                              export_row(progress, metadata, names[survey_id])))
        db.executemany("INSERT INTO establishments (id, tax_code, name, commune, sector, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", establishments)
        db.executemany("INSERT INTO survey_responses (id, survey_id, survey_code, user_id, "
                       "establishment_id, status, progress, metadata, started_at, updated_at, "
                       "submitted_at, export_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       responses)
    db.execute("ANALYZE")
    db.close()


def _commune_codes() -> list[str]:
    from handlers.communes import CommuneDirectory

    return [unit.code for unit in CommuneDirectory.load()]


def _answers(r: random.Random, communes: list[str], *, with_share: bool) -> dict[str, object]:
    needs = sorted(r.sample([o.name for o in NEEDS], r.randint(1, 3)))
    answers: dict[str, object] = {
        "sector": r.choice(SECTOR_OPTIONS).name,
        "size": r.choice(SIZE).name,
        "workers": r.randint(1, 800),
        "founded": r.randint(1985, 2026),
        "revenue": round(r.uniform(0.2, 500), 2),
        "export_share": round(r.uniform(0, 100), 1) if with_share else None,
        "needs": needs,
        "budget": r.randint(1, 300) * 10_000_000 if "machinery" in needs else None,
        "commune": r.choice(communes),
        "products": ", ".join(r.sample(PRODUCTS, r.randint(1, 3))),
        "has_brand": r.choice(YES_NO).name,
        "contact": f"+849{r.randint(10_000_000, 99_999_999)}" if r.random() < 0.3 else
        f"09{r.randint(10_000_000, 99_999_999)}",
        "start_date": f"2027-{r.randint(4, 12):02d}-{r.randint(1, 28):02d}",
        "difficulties": r.choice(DIFFICULTIES),
        "comment": r.choice(COMMENTS) or None,
    }
    if not with_share:
        del answers["export_share"]
    return answers


def run_child(fmt: str, db: Path, out: Path) -> None:
    """In a fresh process: one export, then its time and peak RSS as JSON on stdout."""
    from bot.settings import PROJECT_ROOT
    from handlers.i18n import load_translators
    from handlers.survey_export import ExportFormat, LabelStyle, export_survey
    from storage.db import create_engine, create_session_factory
    from storage.uow import UnitOfWork

    translator = load_translators(PROJECT_ROOT / "locales")["vi"]

    async def export() -> tuple[int, float]:
        started = time.perf_counter()
        engine = create_engine(f"sqlite+aiosqlite:///{db}")
        try:
            async with UnitOfWork(create_session_factory(engine)) as uow:
                with out.open("wb") as file:
                    rows = await export_survey(uow, CODE, ExportFormat(fmt), LabelStyle.VI,
                                               file, translator=translator)
        finally:
            await engine.dispose()
        return rows, time.perf_counter() - started

    rows, seconds = asyncio.run(export())
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_mb(),
                      "bytes": out.stat().st_size}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over exec, so a child would report its parent's peak (the filled rows) at fork time."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_export(fmt: str, db: Path, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--child", fmt, "--db", str(db),
                            "--out", str(out)], capture_output=True, text=True, check=True)
    result = json.loads(child.stdout)
    result["process_seconds"] = time.perf_counter() - started
    return result


def measure_floor(sqlite3_cli: str, db: Path, out: Path) -> float:
    started = time.perf_counter()
    with out.open("wb") as file:
        subprocess.run([sqlite3_cli, "-csv", str(db), FLOOR_SQL], stdout=file, check=True)
    return time.perf_counter() - started


def machine_loop() -> float:
    """A fixed pure-Python loop: how fast this machine is right now."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i % 7
    return time.perf_counter() - started


def machine() -> dict[str, object]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "nproc": os.cpu_count()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the database and exports here")
    parser.add_argument("--child", choices=("csv", "xlsx"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.db, args.out)
        return 0

    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:
        print("error: the sqlite3 command-line shell is needed for the floor measurement "
              "(Debian/Ubuntu: apt-get install -y sqlite3)", file=sys.stderr)
        return 1
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="export-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        db = workdir / "bench.db"
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        fill(db, args.rows)
        fill_seconds = time.perf_counter() - started
        loop = machine_loop()
        csv_result = measure_export("csv", db, workdir / "export.csv")
        xlsx_result = measure_export("xlsx", db, workdir / "export.xlsx")
        # The shortest of three: a slow floor would flatter the ratio.
        floor = min(measure_floor(sqlite3_cli, db, workdir / "floor.csv") for _ in range(3))
        for result in (csv_result, xlsx_result):
            if result["rows"] != args.rows:
                raise SystemExit(f"exported {result['rows']} rows, expected {args.rows}")
        ratio = csv_result["seconds"] / floor
        report = {
            "rows": args.rows,
            "csv_seconds": round(csv_result["seconds"], 3),
            "xlsx_seconds": round(xlsx_result["seconds"], 3),
            "csv_peak_rss_mb": round(csv_result["peak_rss_mb"], 1),
            "xlsx_peak_rss_mb": round(xlsx_result["peak_rss_mb"], 1),
            "sqlite3_cli_csv_seconds": round(floor, 3),
            "csv_ratio": round(ratio, 2),
            "targets_met": (ratio <= TARGETS["csv_ratio"]
                            and xlsx_result["seconds"] <= TARGETS["xlsx_seconds"]
                            and csv_result["peak_rss_mb"] <= TARGETS["peak_rss_mb"]
                            and xlsx_result["peak_rss_mb"] <= TARGETS["peak_rss_mb"]),
            "csv_process_seconds": round(csv_result["process_seconds"], 3),
            "xlsx_process_seconds": round(xlsx_result["process_seconds"], 3),
            "csv_mb": round(csv_result["bytes"] / 1e6, 1),
            "xlsx_mb": round(xlsx_result["bytes"] / 1e6, 1),
            "fill_seconds": round(fill_seconds, 1),
            "machine_loop_s": round(loop, 3),
            "machine": machine(),
        }
        print(json.dumps(report, ensure_ascii=False))
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
