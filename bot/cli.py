"""The `khuyencong` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from bot.logs import configure_logging
from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="khuyencong", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve the web chat, webhooks, Telegram and Zalo")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8080)

    chat = commands.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--user", default="local", help="console user id (default: local)")
    chat.add_argument("--staff", action="store_true", help="act as the operator (admin)")
    chat.add_argument("--lang", choices=("vi", "en"), help="language to chat in")
    chat.add_argument("--json", action="store_true",
                      help='read {"text": …} or {"button": …} lines, print JSON lines')

    ask = commands.add_parser("ask", help="ask the knowledge base one question")
    ask.add_argument("question")
    ask.add_argument("--lang", choices=("vi", "en"), default="vi")
    ask.add_argument("--json", action="store_true", help="print the result as JSON")

    kb = commands.add_parser("kb", help="knowledge-base maintenance")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    kb_commands.add_parser("check", help="validate the knowledge-base files")
    kb_commands.add_parser("answers", help="list the answers staff added in the chat")
    remove = kb_commands.add_parser("remove-answer",
                                    help="remove an answer staff added in the chat")
    remove.add_argument("id", type=int, help="its number, as `kb answers` lists it")

    surveys = commands.add_parser("surveys", help="demand surveys (XLSForm workbooks)")
    surveys_commands = surveys.add_subparsers(dest="surveys_command", required=True)
    check = surveys_commands.add_parser("check", help="check an XLSForm workbook for the chat")
    check.add_argument("file", help="the workbook (.xlsx)")
    _add_survey_admin_commands(surveys_commands)

    fairs = commands.add_parser("fairs", help="trade fairs and their booths")
    fairs_commands = fairs.add_subparsers(dest="fairs_command", required=True)
    fairs_import = fairs_commands.add_parser(
        "import", help="create or update fairs from a CSV or XLSX file (all or nothing)")
    fairs_import.add_argument("file", help="the file (.csv or .xlsx), one fair a row")
    fairs_commands.add_parser("list", help="fairs, their booths and waitlists")

    broadcasts = commands.add_parser("broadcasts", help="staff broadcasts and their delivery")
    broadcasts_commands = broadcasts.add_subparsers(dest="broadcasts_command", required=True)
    broadcasts_commands.add_parser("list", help="the latest broadcasts and their figures")
    show = broadcasts_commands.add_parser("show", help="one broadcast's progress or report")
    show.add_argument("id", type=int, help="the broadcast's number")

    _add_export_parser(commands)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")

    args = parser.parse_args(argv)
    redactor = configure_logging(verbose=args.verbose)
    if args.command != "run":
        logging.getLogger().setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    settings = Settings.from_env()
    redactor.hide(*settings.secrets)

    if args.command == "db":
        from storage.migrate import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "kb" and args.kb_command != "check":
        from bot.admin_cli import list_staff_answers, remove_staff_answer

        if args.kb_command == "answers":
            return asyncio.run(list_staff_answers(settings.database_url))
        return asyncio.run(remove_staff_answer(settings.database_url, args.id))
    if args.command == "kb":
        from handlers.kb.loader import run_check

        status, report = run_check(settings.kb_dir)
        print(report)
        return status
    if args.command == "surveys":
        if args.surveys_command == "check":
            return _surveys_check(args.file)
        return asyncio.run(_survey_admin(settings, args))
    if args.command == "fairs":
        return asyncio.run(_fair_admin(settings, args))
    if args.command == "broadcasts":
        return asyncio.run(_broadcast_admin(settings, args))
    if args.command == "export" and args.export_command == "registrations":
        return asyncio.run(_export_registrations(settings, args))
    if args.command == "export":
        return asyncio.run(_export_survey(settings, args))
    if args.command == "ask":
        return _ask(settings, args)
    if args.command == "run":
        from bot.app import serve

        asyncio.run(serve(settings, args.host, args.port))
        return 0
    if args.command == "chat":
        return asyncio.run(_chat(settings, args))
    return 2


def _add_survey_admin_commands(surveys_commands: argparse._SubParsersAction) -> None:
    imp = surveys_commands.add_parser("import", help="store a workbook as a survey version")
    imp.add_argument("file", help="the workbook (.xlsx)")
    imp.add_argument("--open", action="store_true",
                     help="open the survey when this import adds a version")
    for name, what in (("open", "let users answer a survey"),
                       ("close", "stop a survey taking answers")):
        surveys_commands.add_parser(name, help=what).add_argument("code", help="its form_id")
    surveys_commands.add_parser("list", help="surveys, their status and response counts")


async def _survey_admin(settings: Settings, args: argparse.Namespace) -> int:
    from bot import survey_admin
    from storage.models import SurveyStatus

    url = settings.database_url
    if args.surveys_command == "import":
        return await survey_admin.import_survey(url, args.file, open_new=args.open)
    if args.surveys_command in ("open", "close"):
        status = SurveyStatus.OPEN if args.surveys_command == "open" else SurveyStatus.CLOSED
        return await survey_admin.set_survey_status(url, args.code, status)
    return await survey_admin.list_surveys(url)


def _surveys_check(file: str) -> int:
    from pathlib import Path

    from handlers.forms.model import QuestionType
    from handlers.forms.xlsform import check_xlsform, load_xlsform

    problems = check_xlsform(Path(file))
    for problem in problems:
        print(problem.format(file))
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    form = load_xlsform(Path(file))
    answered = [q for q in form.asked() if q.type is not QuestionType.NOTE]
    print(f"ok: {form.code} version {form.version}, {len(answered)} questions, "
          f"languages {', '.join(form.languages)}")
    return 0


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="export data for staff")
    export_commands = export.add_subparsers(dest="export_command", required=True)
    survey = export_commands.add_parser(
        "survey", help="a survey's submitted responses as CSV or Excel")
    survey.add_argument("code", help="the survey's code (its XLSForm form_id)")
    survey.add_argument("--format", choices=("csv", "xlsx"),
                        help="default: xlsx for a FILE ending in .xlsx, else csv")
    survey.add_argument("--labels", choices=("vi", "en", "codes"), default="vi",
                        help="headers and answers in Vietnamese (default), English, or as "
                             "question names and stored codes")
    survey.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the file to write; - for standard output")
    registrations = export_commands.add_parser(
        "registrations", help="a fair's registrants and waitlist as CSV or Excel")
    registrations.add_argument("--fair", required=True, metavar="CODE", help="the fair's code")
    registrations.add_argument("--format", choices=("csv", "xlsx"),
                               help="default: xlsx for a FILE ending in .xlsx, else csv")
    registrations.add_argument("--lang", choices=("vi", "en"), default="vi",
                               help="headers and statuses in Vietnamese (default) or English")
    registrations.add_argument("-o", "--output", required=True, metavar="FILE",
                               help="the file to write; - for standard output")


async def _export_survey(settings: Settings, args: argparse.Namespace) -> int:
    """Export a survey's responses; every export is recorded in the audit log."""
    from bot.admin_cli import export_to, record_export
    from handlers.i18n import load_translators
    from handlers.survey_export import ExportFormat, LabelStyle, export_survey

    fmt = ExportFormat(args.format or _format_of(args.output))
    labels = LabelStyle(args.labels)
    translator = None if labels is LabelStyle.CODES else \
        load_translators(settings.locales_dir)[labels]
    try:
        rows = await export_to(settings.database_url, args.output, lambda uow, out: export_survey(
            uow, args.code, fmt, labels, out, translator=translator))
    except LookupError:
        print(f"no survey with the code {args.code!r}", file=sys.stderr)
        return 1
    await record_export(settings.database_url, "export.survey", args.code,
                        {"format": fmt.value, "labels": labels.value, "rows": rows})
    if args.output != "-":
        print(f"{rows} responses written to {args.output}", file=sys.stderr)
    return 0


async def _broadcast_admin(settings: Settings, args: argparse.Namespace) -> int:
    from bot import broadcast_admin
    from handlers.i18n import DEFAULT_LOCALE, load_translators

    if args.broadcasts_command == "show":
        translator = load_translators(settings.locales_dir)[DEFAULT_LOCALE]
        return await broadcast_admin.show_broadcast(settings.database_url, args.id, translator)
    return await broadcast_admin.list_broadcasts(settings.database_url)


async def _fair_admin(settings: Settings, args: argparse.Namespace) -> int:
    from bot import fair_admin

    if args.fairs_command == "import":
        from handlers.i18n import load_translators

        return await fair_admin.import_fairs(settings.database_url, args.file,
                                             load_translators(settings.locales_dir))
    return await fair_admin.list_fairs(settings.database_url)


async def _export_registrations(settings: Settings, args: argparse.Namespace) -> int:
    """Export a fair's registrations; every export is recorded in the audit log."""
    from bot import fair_admin
    from handlers.i18n import load_translators

    translator = load_translators(settings.locales_dir)[args.lang]
    return await fair_admin.export_registrations(
        settings.database_url, args.fair, args.format or _format_of(args.output), args.output,
        translator)


def _format_of(output: str) -> str:
    """An export's format when none is given: xlsx for a FILE ending in .xlsx, else csv."""
    return "xlsx" if output.lower().endswith(".xlsx") else "csv"


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.i18n import load_translators, translator_for
    from handlers.kb.knowledge_base import KnowledgeBase
    from handlers.questions import reply_as_text
    from handlers.text import normalize_input

    kb = KnowledgeBase.from_directory(settings.kb_dir)
    result = kb.search(normalize_input(args.question), lang=args.lang)
    answer = result.answer
    lang = result.lang or args.lang  # as in the chat: the language the question is typed in
    reply = reply_as_text(
        result, translator_for(load_translators(settings.locales_dir), lang), lang)
    if args.json:
        print(json.dumps({
            "answer": answer and {
                "id": answer.id, "title": answer.title.get(lang),
                "text": answer.text.get(lang), "source": answer.source,
                "sources": [{"name": c.label, "url": c.url or None} for c in answer.citations]},
            "confident": result.confident,
            "score": round(result.score, 4),
            "alternatives": [{"id": e.id, "title": e.title.get(lang), "score": round(s, 4)}
                             for e, s in result.alternatives],
            "small_talk": result.small_talk,
            "outside": result.outside,
            "named_outside": result.named_outside,
            # The odds the calibrated model gave an answer the confidence rules left unsure.
            "calibrated_odds": result.features and round(result.features.odds(), 3),
            "lang": lang,
            "reply": reply,
        }, ensure_ascii=False))  # Vietnamese as text, not \u escapes
    else:
        print(reply)
    return 0


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_core
    from bot.channels.console import CHANNEL, ConsoleChat

    core = build_core(settings)
    try:
        if args.lang:
            await core.dispatcher.set_locale(CHANNEL, args.user, args.lang)
        console = ConsoleChat(core.dispatcher, user_id=args.user, operator=args.staff,
                              export_dir=settings.export_dir)
        if args.json:
            await console.run_json()
        else:
            await console.run_interactive()
    finally:
        await core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
