"""The `jiedui` command: run the service, migrate the database, import universities, chat as a user.

Exit status: 0 on success, 1 when the work failed, 2 for invalid settings or arguments, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import aiohttp
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot import loggers
from bot.cli_outbound import HANDLED as OUTBOUND_COMMANDS
from bot.cli_outbound import OutboundCommandFailed
from bot.cli_outbound import add_commands as add_outbound_commands
from bot.cli_outbound import run as run_outbound
from bot.cli_pairings import PairingsFailed, add_pairings_parser, run_pairings
from bot.config import ConfigError, Settings
from bot.simulator import (
    COMMANDS_HELP,
    DEFAULT_OPENID,
    DEFAULT_URL,
    SimulatorError,
    UsageError,
    WeChatUser,
    check_loopback,
    send_line,
)
from store.errors import StoreError

if TYPE_CHECKING:
    from store.universities import ImportReport

CHAT_TIMEOUT_S = 15.0
"""Maximum time in seconds that the simulator waits for the response to one push."""


class _CommandFailed(Exception):
    """A subcommand failed. The message explains the failure and `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jiedui",
        description="WeChat Official Account service for filing employment-support pairings.",
        epilog="Settings come from environment variables such as WECHAT_TOKEN, DATABASE_URL and REDIS_URL.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service WeChat pushes to")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8080, help="TCP port to listen on (default: %(default)s)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="number of worker processes sharing the port; more than 1 needs REDIS_URL (default: %(default)s)",
    )

    db = commands.add_parser("db", help="manage the database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply all migrations to DATABASE_URL")

    universities = commands.add_parser("universities", help="manage the list of universities")
    university_commands = universities.add_subparsers(
        dest="universities_command", required=True, metavar="ACTION"
    )
    import_command = university_commands.add_parser(
        "import", help="add and update universities from a CSV file"
    )
    import_command.add_argument("file", type=Path, help="CSV file in the format of the packaged list")

    add_pairings_parser(commands)

    chat = commands.add_parser("chat", help="chat with a running service as a simulated WeChat user")
    chat.add_argument("--url", default=DEFAULT_URL, help="push URL of the service (default: %(default)s)")
    chat.add_argument(
        "--openid", default=DEFAULT_OPENID, help="OpenID of the simulated user (default: %(default)s)"
    )
    chat.add_argument("--script", type=Path, help="send each non-empty line of this file, then exit")
    chat.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a URL whose host is not loopback (sends real pushes to that server)",
    )
    add_outbound_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `jiedui` command line and return its exit status."""
    args = build_parser().parse_args(argv)
    handlers = {
        "serve": _serve,
        "db": _upgrade_database,
        "universities": _import_universities,
        "chat": _chat,
        "pairings": _pairings,
        **dict.fromkeys(OUTBOUND_COMMANDS, _outbound),
    }
    try:
        return handlers[args.command](args)
    except _CommandFailed as failure:
        print(f"jiedui: {failure}", file=sys.stderr)
        return failure.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (as in `jiedui chat | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _outbound(args: argparse.Namespace) -> int:
    try:
        return run_outbound(args)
    except OutboundCommandFailed as failure:
        raise _CommandFailed(str(failure), failure.status) from None


def _load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise _CommandFailed(str(exc), status=2) from None


def describe_startup(settings: Settings, host: str, port: int) -> str:
    """Return the start-up log line: address, database kind, session store and safe mode, no secrets."""
    sessions = "redis" if settings.redis_url is not None else "memory (one process only)"
    return (
        f"serving WeChat pushes on http://{host}:{port}/wechat; database {settings.database_kind}, "
        f"session store {sessions}, safe mode {'on' if settings.safe_mode else 'off'}"
    )


def _serve(args: argparse.Namespace) -> int:
    # Imported here, like the store below, so that `jiedui chat` does not load the chat service.
    from bot.app import create_app

    settings = _load_settings()
    if args.workers != 1:
        return _serve_workers(settings, args)
    loggers.configure_logging()
    loggers.app.info("%s", describe_startup(settings, args.host, args.port))
    if settings.dev_token:
        loggers.app.warning(
            "WECHAT_TOKEN is not set, so the public development token %r is used; `jiedui chat` signs with "
            "it too. Set WECHAT_TOKEN before connecting a real account.",
            settings.token.get(),
        )
    # The access log is off because WeChat puts the user's OpenID in the push URL.
    web.run_app(create_app(settings), host=args.host, port=args.port, access_log=None, print=None)
    return 0


def _serve_workers(settings: Settings, args: argparse.Namespace) -> int:
    from bot.workers import check_workers, serve_workers

    try:
        check_workers(settings, args.workers)
    except ConfigError as exc:
        raise _CommandFailed(str(exc), status=2) from None
    loggers.configure_logging()
    loggers.app.info("%s; %d worker processes", describe_startup(settings, args.host, args.port), args.workers)
    try:
        return serve_workers(settings, args.host, args.port, args.workers)
    except OSError as exc:
        raise _CommandFailed(f"cannot serve on {args.host}:{args.port}: {exc}") from None


def _upgrade_database(args: argparse.Namespace) -> int:
    from store.db import upgrade

    settings = _load_settings()
    loggers.configure_logging()
    try:
        asyncio.run(upgrade(settings.database_url.get()))
    except (SQLAlchemyError, OSError) as exc:
        raise _CommandFailed(f"database upgrade failed: {exc}") from None
    print(f"Migrations applied: the {settings.database_kind} database schema is at the latest version.")
    return 0


def _import_universities(args: argparse.Namespace) -> int:
    settings = _load_settings()
    loggers.configure_logging()
    path: Path = args.file
    if not path.is_file():
        raise _CommandFailed(f"{path} not found; give the path of a CSV file", status=2)
    try:
        report = asyncio.run(_run_import(settings.database_url.get(), path))
    except (SQLAlchemyError, StoreError, ValueError, OSError) as exc:
        raise _CommandFailed(f"universities import failed: {exc}") from None
    print(report)
    return 0


async def _run_import(database_url: str, path: Path) -> ImportReport:
    from store import universities
    from store.db import Database, upgrade

    await upgrade(database_url)
    database = Database(database_url)
    try:
        return await universities.import_file(database, path)
    finally:
        await database.dispose()


def _pairings(args: argparse.Namespace) -> int:
    try:
        return run_pairings(args, _load_settings)
    except PairingsFailed as failure:
        raise _CommandFailed(str(failure), failure.status) from None


def _chat(args: argparse.Namespace) -> int:
    settings = _load_settings()
    if not args.allow_remote:
        try:
            check_loopback(args.url)
        except UsageError as exc:
            raise _CommandFailed(str(exc), status=2) from None
    lines: Iterable[str] | None = None
    if args.script is not None:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise _CommandFailed(f"cannot read the script {args.script}: {exc}", status=2) from None
    return run_chat(settings, args.url, openid=args.openid, lines=lines, out=sys.stdout)


def run_chat(settings: Settings, url: str, *, openid: str, lines: Iterable[str] | None, out: TextIO) -> int:
    """Chat with the service at `url`: send `lines` as a script, or read lines from stdin when None.

    A script stops at the first push that fails and returns 1. Interactive mode reports the error and
    continues.
    """
    with asyncio.Runner() as runner:
        session = runner.run(_open_client_session())
        try:
            user = WeChatUser.from_settings(session, url, settings, openid=openid)
            if lines is not None:
                return _run_script(runner, user, lines, out)
            return _run_interactive(runner, user, out)
        finally:
            runner.run(session.close())


async def _open_client_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CHAT_TIMEOUT_S))


def _run_script(runner: asyncio.Runner, user: WeChatUser, lines: Iterable[str], out: TextIO) -> int:
    for line in lines:
        if not line.strip():
            continue
        if line.strip() == "/quit":
            break
        print(f"> {line.strip()}", file=out)
        if not _send_and_print(runner, user, line, out):
            return 1
    return 0


def _run_interactive(runner: asyncio.Runner, user: WeChatUser, out: TextIO) -> int:
    print(f"Chatting with {user.url} as {user.openid}. /help lists the commands.", file=out)
    prompt = "> " if sys.stdin.isatty() else ""
    status = 0
    while True:
        try:
            line = input(prompt)
        except EOFError:
            return status
        if line.strip() == "/quit":
            return status
        if line.strip() == "/help":
            print(COMMANDS_HELP, file=out)
        elif line.strip():
            status = 0 if _send_and_print(runner, user, line, out) else 1


def _send_and_print(runner: asyncio.Runner, user: WeChatUser, line: str, out: TextIO) -> bool:
    """Send one line and print the reply. Print the error and return False when sending failed."""
    try:
        reply = runner.run(send_line(user, line))
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        print(
            f"error: cannot reach {user.url} ({exc or type(exc).__name__}); is `jiedui serve` running?",
            file=sys.stderr,
        )
        return False
    if reply is not None:
        print(reply, file=out)
    elif out.isatty():
        print("\033[2m(no reply: the server answered success)\033[0m", file=out)
    else:
        print("(no reply: the server answered success)", file=out)
    return True
