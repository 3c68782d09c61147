"""Tests of committees, invites, and the notifications written to the outbox with the changes causing them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from store.db import Database
from store.errors import StudentPhoneTaken
from store.models import Student, utc_now
from store.models_committees import CommitteeInvite, OutboxMessage
from store.outbox import BEIJING
from store.records import OfferRecord, PairingSubmission, StudentRecord
from store.repo_committees import CommitteeError, CommitteeRepository, hash_code
from store.repositories import CadreRepository, EmploymentRepository, PairingRepository
from store.scheduled import queue_daily_digests, queue_reminders

MakeStudent = Callable[..., StudentRecord]
MakeSubmission = Callable[..., PairingSubmission]

CADRE_OPENID = "openid-cadre-1"
CADRE_PHONE = "13800000001"


async def _outbox(db: Database) -> list[dict[str, Any]]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [
            {"kind": row.kind, "recipient": row.recipient, "values": json.loads(row.payload)["values"]}
            for row in rows
        ]


async def _committees(db: Database) -> CommitteeRepository:
    """Create 团中央, 北京团市委 and 北京大学团委, each with one bound member."""
    committees = CommitteeRepository(db)
    await committees.add("团中央青发部", "central")
    await committees.add("北京团市委", "provincial", parent="团中央青发部")
    await committees.add("北京大学团委", "university", parent="北京团市委", university="北京大学")
    for name, openid in (("团中央青发部", "o-central"), ("北京团市委", "o-province"), ("北京大学团委", "o-pku")):
        invite = await committees.invite(name)
        assert (await committees.bind(openid, invite.code)).status == "bound"
    return committees


async def _submit(
    db: Database, make_student: MakeStudent, make_submission: MakeSubmission, **changes: Any
) -> tuple[int, int]:
    cadre = await CadreRepository(db).bind_phone(CADRE_OPENID, CADRE_PHONE)
    students = (make_student("13900000001", **changes), make_student("13900000002", **changes))
    result = await PairingRepository(db).submit(make_submission(*students))
    return cadre.id, result.student_ids[0]


async def test_add_builds_hierarchy(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    listed = await committees.list()
    assert [(c.name, c.level, c.parent_name, c.university_name, c.members) for c in listed] == [
        ("团中央青发部", "central", None, None, 1),
        ("北京团市委", "provincial", "团中央青发部", None, 1),
        ("北京大学团委", "university", "北京团市委", "北京大学", 1),
    ]


@pytest.mark.parametrize(
    ("name", "level", "options", "message"),
    [
        ("某团委", "city", {}, "invalid level"),
        ("某高校团委", "university", {}, "--university is required"),
        ("某省团委", "provincial", {"university": "北京大学"}, "--university is required"),
        ("某省团委", "provincial", {"parent": "不存在的团委"}, "no committee named"),
        ("某高校团委", "university", {"university": "不存在大学"}, "no university"),
    ],
)
async def test_add_rejects_invalid_values(
    loaded_db: Database, name: str, level: str, options: dict[str, str], message: str
) -> None:
    with pytest.raises(CommitteeError, match=message):
        await CommitteeRepository(loaded_db).add(name, level, **options)


async def test_add_rejects_lower_parent(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    with pytest.raises(CommitteeError, match="cannot be under"):
        await committees.add("河北团省委", "provincial", parent="北京大学团委")


async def test_add_rejects_second_university_committee(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    with pytest.raises(CommitteeError, match="exists already"):
        await committees.add("北大团委", "university", university="4111010001")


async def test_invite_is_single_use(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    invite = await committees.invite("北京大学团委")
    lower = invite.code.lower()[:4] + " " + invite.code.lower()[4:]
    assert (await committees.bind("o-member-2", lower)).status == "bound"
    assert (await committees.bind("o-member-3", invite.code)).status == "used"
    assert (await committees.bind("o-member-3", "ABCDEFGH")).status == "invalid"


async def test_invite_code_hash_only(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    invite = await committees.invite("北京大学团委")
    async with loaded_db.session() as session:
        hashes = list(await session.scalars(select(CommitteeInvite.code_hash)))
    assert hash_code(invite.code) in hashes
    assert invite.code not in hashes


async def test_expired_invite_is_refused(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    invite = await committees.invite("北京大学团委", ttl_s=60)
    async with loaded_db.session() as session, session.begin():
        await session.execute(update(CommitteeInvite).values(expires_at=utc_now() - dt.timedelta(seconds=1)))
    assert (await committees.bind("o-member-2", invite.code)).status == "expired"


async def test_member_binds_one_committee(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    same = await committees.bind("o-pku", (await committees.invite("北京大学团委")).code)
    other = await committees.bind("o-pku", (await committees.invite("北京团市委")).code)
    assert same.status == "already_member"
    assert other.status == "member_elsewhere"
    assert other.committee is not None and other.committee.name == "北京大学团委"


async def test_unbind_ends_membership(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    assert await committees.unbind("o-pku") == "北京大学团委"
    assert await committees.membership("o-pku") is None
    assert await committees.unbind("o-pku") is None


async def test_submission_notifies_university_committee(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    await _committees(loaded_db)
    await _submit(loaded_db, make_student, make_submission)
    rows = await _outbox(loaded_db)
    assert [(row["kind"], row["recipient"]) for row in rows] == [("pairing_submitted", "o-pku")]
    assert rows[0]["values"][:3] == ["北京大学", "王老师", "2名学生"]


async def test_rejected_submission_writes_no_notification(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    await _committees(loaded_db)
    await _submit(loaded_db, make_student, make_submission)
    with pytest.raises(StudentPhoneTaken):
        await PairingRepository(loaded_db).submit(make_submission(make_student("13900000001"), key="draft-2"))
    assert len(await _outbox(loaded_db)) == 1


async def test_signed_offer_notifies_once(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    await _committees(loaded_db)
    cadre_id, student_id = await _submit(loaded_db, make_student, make_submission)
    employment = EmploymentRepository(loaded_db)
    signed = OfferRecord("腾讯", "后端开发", branch_recommended=False, status="已签约")
    await employment.record_offer(cadre_id, student_id, OfferRecord("京东", "测试", False, "考虑中"))
    await employment.record_offer(cadre_id, student_id, signed)
    await employment.record_offer(cadre_id, student_id, signed)
    rows = [row for row in await _outbox(loaded_db) if row["kind"] == "offer_signed"]
    assert len(rows) == 1
    assert rows[0]["recipient"] == "o-pku"
    assert rows[0]["values"][1:3] == ["腾讯", "王老师"]


async def test_page_update_signing_notifies(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    await _committees(loaded_db)
    cadre_id, student_id = await _submit(loaded_db, make_student, make_submission)
    record = make_student("13900000001")
    await EmploymentRepository(loaded_db).update_employment(
        cadre_id,
        student_id,
        support_measures=record.support_measures,
        recommend_channels=record.recommend_channels,
        postings_recommended=record.postings_recommended,
        postings=record.postings,
        has_offer=True,
        offers=[OfferRecord("华为", "软件工程师", branch_recommended=True, status="已签约")],
        final_employment=None,
    )
    rows = [row for row in await _outbox(loaded_db) if row["kind"] == "offer_signed"]
    assert [row["values"][1] for row in rows] == ["华为"]


async def test_third_passcode_miss_notifies_central(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    await CadreRepository(loaded_db).bind_phone(CADRE_OPENID, CADRE_PHONE)
    counts = [await committees.record_passcode_miss(CADRE_OPENID, f"新华大学00{n}") for n in range(3)]
    assert counts == [1, 2, 3]
    rows = await _outbox(loaded_db)
    assert [(row["kind"], row["recipient"]) for row in rows] == [("passcode_failed", "o-central")]
    assert rows[0]["values"][:3] == ["新华大学002", CADRE_PHONE, "连续3次"]
    assert await committees.record_passcode_miss(CADRE_OPENID, "新华大学001") == 1


async def test_matched_passcode_resets_misses(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    await committees.record_passcode_miss(CADRE_OPENID, "新华大学001")
    await committees.record_passcode_miss(CADRE_OPENID, "新华大学001")
    await committees.clear_passcode_misses(CADRE_OPENID)
    assert await committees.record_passcode_miss(CADRE_OPENID, "新华大学001") == 1
    assert await _outbox(loaded_db) == []


async def test_change_request_reaches_university(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    committees = await _committees(loaded_db)
    await _submit(loaded_db, make_student, make_submission)
    outcome = await committees.request_change(CADRE_OPENID, "申请修改：张三的专业应为电子信息")
    assert (outcome.status, outcome.committee) == ("sent", "北京大学团委")
    rows = [row for row in await _outbox(loaded_db) if row["kind"] == "change_request"]
    assert [row["recipient"] for row in rows] == ["o-pku"]
    assert rows[0]["values"][:3] == [f"王老师 {CADRE_PHONE}", "申请修改：张三的专业应为电子信息", "北京大学"]


async def test_change_request_goes_up_without_members(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    committees = await _committees(loaded_db)
    await committees.unbind("o-pku")
    await committees.unbind("o-province")
    await _submit(loaded_db, make_student, make_submission)
    outcome = await committees.request_change(CADRE_OPENID, "申请删除：张三")
    assert outcome.committee == "团中央青发部"


async def test_change_request_needs_cadre_and_pairing(loaded_db: Database) -> None:
    committees = await _committees(loaded_db)
    assert (await committees.request_change("o-stranger", "申请修改：x")).status == "not_cadre"
    await CadreRepository(loaded_db).bind_phone(CADRE_OPENID, CADRE_PHONE)
    assert (await committees.request_change(CADRE_OPENID, "申请修改：x")).status == "no_university"


async def test_daily_digest_once_per_day(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    await _committees(loaded_db)
    await _submit(loaded_db, make_student, make_submission)
    today = utc_now().astimezone(BEIJING).date()
    assert await queue_daily_digests(loaded_db, today) == 1
    assert await queue_daily_digests(loaded_db, today) == 0
    assert await queue_daily_digests(loaded_db, today - dt.timedelta(days=1)) == 0
    digest = [row for row in await _outbox(loaded_db) if row["kind"] == "daily_digest"]
    assert digest == [
        {"kind": "daily_digest", "recipient": "o-province", "values": [today.isoformat(), "2名学生", "北京大学2人"]}
    ]


async def test_reminder_weekly_for_stale_students(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    unsigned = {"has_offer": False, "offers": (), "final_employment": None}
    cadre_id, student_id = await _submit(loaded_db, make_student, make_submission, **unsigned)
    now = utc_now()
    assert await queue_reminders(loaded_db, stale_days=30, now=now) == 0
    async with loaded_db.session() as session, session.begin():
        await session.execute(update(Student).values(created_at=now - dt.timedelta(days=31)))
    signed = OfferRecord("腾讯", "后端开发", branch_recommended=False, status="已签约")
    await EmploymentRepository(loaded_db).record_offer(cadre_id, student_id, signed)

    assert await queue_reminders(loaded_db, stale_days=30, now=now) == 1
    assert await queue_reminders(loaded_db, stale_days=30, now=now + dt.timedelta(days=6)) == 0
    assert await queue_reminders(loaded_db, stale_days=30, now=now + dt.timedelta(days=8)) == 1
    reminders = [row for row in await _outbox(loaded_db) if row["kind"] == "reminder"]
    assert [row["recipient"] for row in reminders] == [CADRE_OPENID, CADRE_OPENID]
    assert reminders[0]["values"][0] == "1名学生"
