"""Tests of the notifier: each notification kind reaches its members, retries, permanent failures, crashes."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update

from bot.access_token import MemoryTokenStore
from bot.config_outbound import Template
from bot.notifier import Notifier, backoff_s
from bot.outbound import DeliveryReports
from bot.push import Push
from bot.templates import DEFAULT_KEYS
from bot.wechat_api import WeChatApi
from store.db import Database, upgrade
from store.models import Student, utc_now
from store.models_committees import OutboxMessage
from store.outbox import BEIJING
from store.records import OfferRecord
from store.repo_committees import CommitteeRepository
from store.repo_outbox import OutboxRepository
from store.repositories import CadreRepository, EmploymentRepository, PairingRepository
from store.scheduled import queue_daily_digests, queue_reminders
from store.universities import ensure_loaded
from tests.bot.fake_wechat_api import FakeWeChatApi
from tests.store.conftest import _make_student
from tests.store.conftest import make_submission as make_submission_fixture

TEMPLATE = "/cgi-bin/message/template/send"
CADRE_OPENID = "o-cadre"
TEMPLATES = {kind: Template(f"TPL-{kind}", keys) for kind, keys in DEFAULT_KEYS.items()}
build_submission = make_submission_fixture.__wrapped__()  # type: ignore[attr-defined]  # the fixture's builder


@dataclass
class Setup:
    db: Database
    fake: FakeWeChatApi
    http: aiohttp.ClientSession
    committees: CommitteeRepository

    def notifier(self, **options: float) -> Notifier:
        api = WeChatApi(
            self.http,
            base_url=self.fake.base_url,
            app_id=self.fake.app_id,
            app_secret=self.fake.app_secret,
            tokens=MemoryTokenStore(),
        )
        return Notifier(self.db, api, TEMPLATES, **options)  # type: ignore[arg-type]

    async def rows(self) -> list[OutboxMessage]:
        async with self.db.session() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def make_due(self) -> None:
        async with self.db.session() as session, session.begin():
            await session.execute(update(OutboxMessage).values(next_attempt_at=utc_now() - dt.timedelta(seconds=1)))


@pytest.fixture
async def setup(sqlite_url: str) -> AsyncIterator[Setup]:
    await upgrade(sqlite_url)
    db = Database(sqlite_url)
    await ensure_loaded(db)
    fake = FakeWeChatApi()
    await fake.start()
    committees = CommitteeRepository(db)
    await committees.add("团中央青发部", "central")
    await committees.add("北京团市委", "provincial", parent="团中央青发部")
    await committees.add("北京大学团委", "university", parent="北京团市委", university="北京大学")
    await committees.add("清华大学团委", "university", parent="北京团市委", university="清华大学")
    members = {"团中央青发部": "o-central", "北京团市委": "o-province", "北京大学团委": "o-pku", "清华大学团委": "o-thu"}
    for name, openid in members.items():
        await committees.bind(openid, (await committees.invite(name)).code)
    try:
        async with aiohttp.ClientSession() as http:
            yield Setup(db, fake, http, committees)
    finally:
        await fake.close()
        await db.dispose()


async def _submit(db: Database) -> tuple[int, int]:
    cadre = await CadreRepository(db).bind_phone(CADRE_OPENID, "13800000001")
    unsigned = {"has_offer": False, "offers": (), "final_employment": None}
    submission = build_submission(_make_student("13900000001", **unsigned), openid=CADRE_OPENID)
    result = await PairingRepository(db).submit(submission)
    return cadre.id, result.student_ids[0]


def _kinds(fake: FakeWeChatApi, openid: str) -> list[str]:
    return [message["template_id"].removeprefix("TPL-") for message in fake.templates_to(openid)]


async def test_each_kind_reaches_its_members(setup: Setup) -> None:
    cadre_id, student_id = await _submit(setup.db)
    signed = OfferRecord("腾讯", "后端开发", branch_recommended=False, status="已签约")
    await EmploymentRepository(setup.db).record_offer(cadre_id, student_id, signed)
    await setup.committees.request_change(CADRE_OPENID, "申请修改：学生专业有误")
    for _ in range(3):
        await setup.committees.record_passcode_miss(CADRE_OPENID, "新华大学001")
    await queue_daily_digests(setup.db, utc_now().astimezone(BEIJING).date())
    async with setup.db.session() as session, session.begin():
        await session.execute(update(Student).values(created_at=utc_now() - dt.timedelta(days=40)))
    await queue_reminders(setup.db, stale_days=30)
    # The signed offer was an update, so the reminder needs a second, untouched student.
    await PairingRepository(setup.db).submit(
        build_submission(_make_student("13900000002"), key="draft-2", openid=CADRE_OPENID)
    )

    counts = await setup.notifier().deliver_due()

    assert counts.failed == counts.retried == 0
    assert _kinds(setup.fake, "o-pku") == ["pairing_submitted", "offer_signed", "change_request", "pairing_submitted"]
    assert _kinds(setup.fake, "o-central") == ["passcode_failed"]
    assert _kinds(setup.fake, "o-province") == ["daily_digest"]
    assert _kinds(setup.fake, "o-thu") == []
    assert _kinds(setup.fake, CADRE_OPENID) == []
    first = setup.fake.templates_to("o-pku")[0]
    assert first["data"]["thing1"] == {"value": "北京大学"}
    assert first["client_msg_id"].startswith("jiedui-")
    assert {row.status for row in await setup.rows()} == {"sent"}


async def test_reminder_reaches_cadre(setup: Setup) -> None:
    await _submit(setup.db)
    async with setup.db.session() as session, session.begin():
        await session.execute(update(Student).values(created_at=utc_now() - dt.timedelta(days=40)))
    assert await queue_reminders(setup.db, stale_days=30) == 1
    await setup.notifier().deliver_due()
    reminder = setup.fake.templates_to(CADRE_OPENID)
    assert [message["template_id"] for message in reminder] == ["TPL-reminder"]
    assert reminder[0]["data"]["thing3"] == {"value": "超过30天未更新"}


async def test_permanent_failure_not_retried(setup: Setup) -> None:
    await _submit(setup.db)
    setup.fake.fail(TEMPLATE, 43004)
    counts = await setup.notifier().deliver_due()
    await setup.make_due()
    again = await setup.notifier().deliver_due()

    rows = await setup.rows()
    assert (counts.failed, again.sent + again.failed + again.retried) == (1, 0)
    assert (rows[0].status, rows[0].last_error, rows[0].attempts) == ("failed", "43004", 1)
    assert len(setup.fake.calls(TEMPLATE)) == 1
    status = await OutboxRepository(setup.db).status()
    assert status.failures == {"43004": 1}


@pytest.mark.parametrize("error", [-1, 45009, -502])
async def test_transient_failure_retried_with_backoff(setup: Setup, error: int) -> None:
    await _submit(setup.db)
    setup.fake.fail(TEMPLATE, error)
    before = utc_now()
    counts = await setup.notifier().deliver_due()
    row = (await setup.rows())[0]
    assert counts.retried == 1
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at >= before + dt.timedelta(seconds=29)
    assert (await setup.notifier().deliver_due()).sent == 0

    await setup.make_due()
    assert (await setup.notifier().deliver_due()).sent == 1
    assert (await setup.rows())[0].status == "sent"


async def test_retries_end_after_max_attempts(setup: Setup) -> None:
    await _submit(setup.db)
    setup.fake.fail(TEMPLATE, -1, -1, -1)
    for _ in range(3):
        await setup.notifier(max_attempts=3).deliver_due()
        await setup.make_due()
    row = (await setup.rows())[0]
    assert (row.status, row.last_error, row.attempts) == ("failed", "retries-exhausted:-1", 3)


def test_backoff_doubles_up_to_limit() -> None:
    assert [backoff_s(n, base_s=30, max_s=200) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


async def test_worker_stopped_mid_send(setup: Setup) -> None:
    await _submit(setup.db)
    setup.fake.send_delay_s = 0.5
    crashed = asyncio.create_task(setup.notifier(lease_s=1).deliver_due())
    await setup.fake.wait_for(TEMPLATE)
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    assert (await setup.rows())[0].status == "sending"

    setup.fake.send_delay_s = 0
    assert (await setup.notifier().deliver_due()).sent == 0
    await asyncio.sleep(1.1)
    assert (await setup.notifier().deliver_due()).sent == 1

    calls = setup.fake.calls(TEMPLATE)
    assert len(calls) == 2
    assert calls[0].body["client_msg_id"] == calls[1].body["client_msg_id"]
    assert len(setup.fake.delivered) == 1
    row = (await setup.rows())[0]
    assert (row.status, row.attempts) == ("sent", 2)


async def test_kind_without_template_waits(setup: Setup) -> None:
    await _submit(setup.db)
    notifier = setup.notifier()
    notifier.templates.pop("pairing_submitted")
    assert (await notifier.deliver_due()).sent == 0
    status = await OutboxRepository(setup.db).status()
    assert status.backlog == {"pairing_submitted": 1}


class _NoChat:
    async def handle(self, push: Push) -> str | None:
        raise AssertionError("a delivery report reached the chat service")


async def test_delivery_report_recorded(setup: Setup) -> None:
    await _submit(setup.db)
    await setup.notifier().deliver_due()
    msgid = (await setup.rows())[0].wechat_msgid
    assert msgid is not None
    handler = DeliveryReports(_NoChat(), OutboxRepository(setup.db))
    push = Push("o-pku", "gh_account", "event", 1, msg_id=msgid, event="templatesendjobfinish", status="success")
    assert await handler.handle(push) is None
    assert await handler.handle(push) is None
    status = await OutboxRepository(setup.db).status()
    assert status.deliveries == {"success": 1}


async def test_arq_worker_sends_outbox(setup: Setup, redis_url: str, redis_prefix: str) -> None:
    from arq.worker import Worker

    from bot.config import Settings
    from bot.worker import worker_settings

    await _submit(setup.db)
    settings = Settings.from_env(
        {
            "DATABASE_URL": setup.db.url,
            "REDIS_URL": redis_url,
            "WECHAT_APP_ID": setup.fake.app_id,
            "WECHAT_APP_SECRET": setup.fake.app_secret,
            "WECHAT_API_BASE_URL": setup.fake.base_url,
            "WECHAT_TEMPLATE_PAIRING_SUBMITTED": "TPL-pairing_submitted",
        }
    )
    options = {**worker_settings(settings, token_prefix=redis_prefix), "queue_name": f"{redis_prefix}queue"}
    worker = Worker(**options, burst=True, handle_signals=False, poll_delay=0.05)
    try:
        await worker.async_run()
    finally:
        await worker.close()
        redis = Redis.from_url(redis_url)
        await redis.delete(*[key async for key in redis.scan_iter(f"{redis_prefix}*")] or ["none"])
        await redis.aclose()

    assert _kinds(setup.fake, "o-pku") == ["pairing_submitted"]
    assert (await setup.rows())[0].status == "sent"


async def test_no_secret_keeps_outbox(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    import contextlib

    from bot.config import Settings
    from bot.outbound import open_outbound

    await _submit(setup.db)
    settings = Settings.from_env({"DATABASE_URL": setup.db.url, "WECHAT_API_BASE_URL": setup.fake.base_url})
    async with contextlib.AsyncExitStack() as resources:
        with caplog.at_level(logging.WARNING, logger="jiedui.app"):
            handler = await open_outbound(settings, setup.db, _NoChat(), resources)  # type: ignore[arg-type]
        await asyncio.sleep(0.2)

    assert isinstance(handler, DeliveryReports)
    assert any("notifications stay in the outbox unsent" in record.getMessage() for record in caplog.records)
    assert setup.fake.requests == []
    assert (await setup.rows())[0].status == "pending"
