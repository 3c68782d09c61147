"""The `jiedui` subcommands of committees and notifications: committees, notifications, menu, worker."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from bot import loggers
from bot.config import ConfigError, Settings
from store.errors import StoreError

T = TypeVar("T")

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "UTC+8")
"""The time zone of invite expiry times shown to committee staff."""


class OutboundCommandFailed(Exception):
    """A subcommand failed; `status` is the exit status (1 for a failed action, 2 for invalid input)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def add_commands(commands: Any) -> None:
    """Add the committees, notifications, menu and worker subcommands to the `jiedui` parser."""
    committees = commands.add_parser("committees", help="manage the committees (团委) that receive notifications")
    actions = committees.add_subparsers(dest="committees_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a committee")
    add.add_argument("name", help="committee name, such as 北京大学团委")
    add.add_argument("--level", required=True, choices=("central", "provincial", "university"))
    add.add_argument("--parent", help="name of the committee above it")
    add.add_argument("--university", help="official name or 10-digit code of a university committee's university")
    actions.add_parser("list", help="list the committees and their member counts")
    invite = actions.add_parser("invite", help="print a one-time invite code for a committee")
    invite.add_argument("committee", help="committee name or id")
    invite.add_argument("--hours", type=int, default=168, help="hours the code stays valid (default: %(default)s)")

    notifications = commands.add_parser("notifications", help="inspect the notification outbox")
    notification_actions = notifications.add_subparsers(dest="notifications_command", required=True, metavar="ACTION")
    notification_actions.add_parser("status", help="show the backlog and the failures by reason")

    menu = commands.add_parser("menu", help="manage the account's custom menu")
    menu_actions = menu.add_subparsers(dest="menu_command", required=True, metavar="ACTION")
    menu_actions.add_parser("create", help="create the custom menu through the WeChat API")

    commands.add_parser("worker", help="send notifications: the arq worker (needs REDIS_URL)")


HANDLED = ("committees", "notifications", "menu", "worker")


def run(args: argparse.Namespace) -> int:
    """Run one of the HANDLED subcommands; raises OutboundCommandFailed."""
    settings = _load_settings()
    loggers.configure_logging()
    if args.command == "worker":
        return _worker(settings)
    if args.command == "menu":
        return _run(_create_menu(settings))
    if args.command == "notifications":
        return _run(_status(settings))
    return _run(_committees(settings, args))


def _load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise OutboundCommandFailed(str(exc), status=2) from None


def _run(work: Awaitable[int]) -> int:
    try:
        return asyncio.run(_awaited(work))
    except (SQLAlchemyError, OSError) as exc:
        raise OutboundCommandFailed(f"database error: {type(exc).__name__}: {exc}") from None
    except StoreError as exc:
        raise OutboundCommandFailed(str(exc), status=2) from None


async def _awaited(work: Awaitable[int]) -> int:
    return await work


async def _with_database(settings: Settings, action: Callable[[Any], Awaitable[T]]) -> T:
    from store import universities
    from store.db import Database, upgrade

    await upgrade(settings.database_url.get())
    database = Database(settings.database_url.get())
    try:
        # An empty universities table gets the packaged list, as at `jiedui serve` start-up.
        await universities.ensure_loaded(database)
        return await action(database)
    finally:
        await database.dispose()


async def _committees(settings: Settings, args: argparse.Namespace) -> int:
    from store.repo_committees import CommitteeRepository

    async def act(database: Any) -> int:
        committees = CommitteeRepository(database)
        if args.committees_command == "add":
            record = await committees.add(args.name, args.level, parent=args.parent, university=args.university)
            print(f"Added committee {record.id}: {record.name} ({record.level}).")
        elif args.committees_command == "list":
            for record in await committees.list():
                extra = f", university {record.university_name}" if record.university_name else ""
                parent = f", under {record.parent_name}" if record.parent_name else ""
                print(f"{record.id}\t{record.name}\t{record.level}{extra}{parent}\t{record.members} member(s)")
        else:
            if args.hours <= 0:
                raise OutboundCommandFailed(f"--hours must be a positive number of hours, got {args.hours}", 2)
            invite = await committees.invite(args.committee, ttl_s=args.hours * 3600)
            print(f"Invite code for {invite.committee}: {invite.code}")
            expires = invite.expires_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
            print(f"It works once, until {expires} China time (UTC+8). The member sends:")
            print(f"绑定 {invite.code}")
        return 0

    return await _with_database(settings, act)


async def _status(settings: Settings) -> int:
    from store.repo_outbox import OutboxRepository

    status = await _with_database(settings, lambda database: OutboxRepository(database).status())
    print(f"Sent: {status.sent}")
    print(f"Backlog: {sum(status.backlog.values())} ({status.retrying} waiting for a retry)")
    for kind, count in sorted(status.backlog.items()):
        template = "template set" if kind in settings.outbound.templates else "no template id: not sent"
        print(f"  {kind}: {count} ({template})")
    print(f"Failed: {sum(status.failures.values())}")
    for reason, count in sorted(status.failures.items()):
        print(f"  {reason}: {count}")
    if status.deliveries:
        print("Delivery reports: " + ", ".join(f"{name} {count}" for name, count in sorted(status.deliveries.items())))
    return 0


async def _create_menu(settings: Settings) -> int:
    from bot.access_token import MemoryTokenStore
    from bot.menu import MENU, check_menu
    from bot.outbound import open_api
    from bot.wechat_api import WeChatApiError, WeChatHttpError

    check_menu(MENU)
    async with aiohttp.ClientSession() as session:
        try:
            # NOTE: this fetches a token of its own; /cgi-bin/stable_token does not invalidate the shared one.
            api = open_api(settings, session, MemoryTokenStore())
            await api.create_menu(MENU)
        except ValueError as exc:
            raise OutboundCommandFailed(str(exc), status=2) from None
        except (WeChatApiError, WeChatHttpError) as exc:
            raise OutboundCommandFailed(f"menu not created: {exc}") from None
    print("The custom menu is created: 提交结对, 我的结对, 帮助 (使用说明, 我的团委).")
    return 0


def _worker(settings: Settings) -> int:
    from arq.worker import run_worker

    from bot.worker import worker_settings

    try:
        options = worker_settings(settings)
    except ValueError as exc:
        raise OutboundCommandFailed(str(exc), status=2) from None
    loggers.app.info("starting the notifier worker")
    run_worker(options)
    return 0

