"""Tests of PairingRepository: the submission transaction, its rejections and the cadre's list."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from store.db import Database
from store.errors import DuplicateStudentPhone, StudentPhoneTaken, UniversityNotFound
from store.models import Cadre, Employment, Offer, Pairing, Posting, Student, StudentChoice, Submission
from store.records import ChoiceAnswer, OfferRecord, PairingSubmission, StudentRecord
from store.repo_students import build_student
from store.repositories import CadreRepository, PairingRepository

MakeStudent = Callable[..., StudentRecord]
MakeSubmission = Callable[..., PairingSubmission]
CountRows = Callable[[Database], Awaitable[dict[str, int]]]


async def test_submit_stores_every_answer(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    result = await pairings.submit(make_submission(make_student("13700000001"), make_student("13700000002")))

    assert result.created is True
    assert len(result.student_ids) == 2
    async with loaded_db.session() as session:
        student = await session.get(Student, result.student_ids[0])
        assert student is not None
        assert (student.name, student.phone, student.major, student.graduation_year) == (
            "张三",
            "13700000001",
            "计算机科学与技术",
            2025,
        )
        assert (student.policy_guaranteed, student.job_seeking, student.branch_recommended) == (
            True,
            True,
            True,
        )
        assert student.branch_secretary_phone == "13900000000"
        assert (student.postings_recommended, student.has_offer) == (True, True)

        postings = (
            await session.scalars(
                select(Posting).where(Posting.student_id == student.id).order_by(Posting.position_order)
            )
        ).all()
        assert [(p.position_order, p.employer, p.location) for p in postings] == [
            (1, "甲公司", "北京市"),
            (2, "乙公司", "天津市"),
        ]

        offers = (
            await session.scalars(
                select(Offer).where(Offer.student_id == student.id).order_by(Offer.position_order)
            )
        ).all()
        assert [(o.position_order, o.company, o.status, o.status_other) for o in offers] == [
            (1, "甲公司", "已签约", None),
            (2, "丙公司", "其他", "待定"),
        ]
        assert [o.branch_recommended for o in offers] == [True, False]

        employment = await session.scalar(select(Employment).where(Employment.student_id == student.id))
        assert employment is not None
        assert (employment.employer, employment.position, employment.start_date) == (
            "甲公司",
            "后端工程师",
            dt.date(2025, 7, 1),
        )

        pairing_rows = (await session.scalars(select(Pairing).order_by(Pairing.id))).all()
        assert [p.student_id for p in pairing_rows] == list(result.student_ids)
        assert {p.source for p in pairing_rows} == {"chat"}
        assert {p.submission_id for p in pairing_rows} == {result.submission_id}
        assert all(p.deleted_at is None for p in pairing_rows)


async def test_submit_stores_one_row_per_option(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    second = make_student("13700000002", difficulty_types=ChoiceAnswer(("家庭经济困难", "残疾")))
    await PairingRepository(loaded_db).submit(make_submission(make_student("13700000001"), second))

    async with loaded_db.session() as session:
        counts = dict(
            (
                await session.execute(
                    select(StudentChoice.option, func.count())
                    .where(StudentChoice.question == "difficulty_types")
                    .group_by(StudentChoice.option)
                )
            ).all()
        )
        other = await session.scalar(
            select(StudentChoice).where(
                StudentChoice.question == "difficulty_types", StudentChoice.option == "其他"
            )
        )
        measures = (
            await session.scalars(
                select(StudentChoice.option)
                .where(StudentChoice.question == "support_measures")
                .order_by(StudentChoice.student_id, StudentChoice.option_order)
            )
        ).all()
    assert counts == {"家庭经济困难": 2, "其他": 1, "残疾": 1}
    assert other is not None
    assert other.other_text == "单亲家庭"
    assert measures == ["简历指导", "模拟面试", "简历指导", "模拟面试"]


async def test_submit_without_branch_or_offers(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    plain = make_student(
        "13700000001",
        branch_recommended=False,
        branch_name=None,
        branch_secretary_name=None,
        branch_secretary_phone=None,
        branch_recommend_forms=None,
        postings_recommended=False,
        postings=(),
        has_offer=False,
        offers=(),
        final_employment=None,
    )
    await PairingRepository(loaded_db).submit(make_submission(plain))
    counts = await count_rows(loaded_db)
    assert (counts["postings"], counts["offers"], counts["employments"]) == (0, 0, 0)
    # difficulty_types has two options, support_measures two, recommend_channels one.
    assert counts["student_choices"] == 5


async def test_submit_writes_cadre_and_locks_name(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    cadres = CadreRepository(loaded_db)
    pairings = PairingRepository(loaded_db)
    bound = await cadres.bind_phone("openid-cadre-1", "13800000001")

    await pairings.submit(make_submission(make_student("13700000001"), key="k1", cadre_name="王老师"))
    renamed = replace(
        make_submission(make_student("13700000002"), key="k2", cadre_name="王五"), cadre_title="团委副书记"
    )
    second = await pairings.submit(renamed)

    profile = await cadres.get_by_phone("13800000001")
    assert profile is not None
    assert profile.id == bound.id
    assert profile.openid == "openid-cadre-1"
    assert profile.name == "王老师"
    assert profile.title == "团委副书记"
    assert profile.identity == "教师"
    assert profile.name_locked is True
    async with loaded_db.session() as session:
        snapshot = await session.get(Submission, second.submission_id)
    assert snapshot is not None
    assert (snapshot.cadre_name, snapshot.cadre_title, snapshot.cadre_identity) == (
        "王老师",
        "团委副书记",
        "教师",
    )


async def test_submit_creates_missing_cadre_unbound(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    await PairingRepository(loaded_db).submit(make_submission(make_student("13700000001")))
    profile = await CadreRepository(loaded_db).get_by_phone("13800000001")
    assert profile is not None
    assert profile.openid is None
    assert profile.name == "王老师"
    assert profile.name_locked is True


async def test_submit_is_idempotent(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    pairings = PairingRepository(loaded_db)
    submission = make_submission(make_student("13700000001"), make_student("13700000002"))
    first = await pairings.submit(submission)
    counts = await count_rows(loaded_db)

    again = await pairings.submit(submission)

    assert again.created is False
    assert again.submission_id == first.submission_id
    assert again.student_ids == first.student_ids
    assert await count_rows(loaded_db) == counts


async def test_submit_rejects_taken_phone(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    pairings = PairingRepository(loaded_db)
    await pairings.submit(make_submission(make_student("13700000001"), key="k1"))
    counts = await count_rows(loaded_db)

    attempt = make_submission(
        make_student("13700000009"), make_student("13700000001"), key="k2", cadre_phone="13800000002"
    )
    with pytest.raises(StudentPhoneTaken) as caught:
        await pairings.submit(attempt)

    assert caught.value.phones == frozenset({"13700000001"})
    assert await count_rows(loaded_db) == counts
    assert await CadreRepository(loaded_db).get_by_phone("13800000002") is None


async def test_submit_rejects_duplicate_phone_in_submission(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    counts = await count_rows(loaded_db)
    attempt = make_submission(make_student("13700000001"), make_student("13700000001", name="李四"))
    with pytest.raises(DuplicateStudentPhone) as caught:
        await PairingRepository(loaded_db).submit(attempt)
    assert isinstance(caught.value, StudentPhoneTaken)
    assert caught.value.phones == frozenset({"13700000001"})
    assert await count_rows(loaded_db) == counts


async def test_submit_rejects_unknown_university(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission, count_rows: CountRows
) -> None:
    counts = await count_rows(loaded_db)
    with pytest.raises(UniversityNotFound) as caught:
        await PairingRepository(loaded_db).submit(
            make_submission(make_student("13700000001"), university_code="4100000000")
        )
    assert caught.value.code == "4100000000"
    assert await count_rows(loaded_db) == counts


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"support_measures": ChoiceAnswer(("简历指导", "简历指导"))}, "more than once"),
        ({"recommend_channels": ChoiceAnswer(("线上推送",), other="朋友圈")}, "其他 option is not selected"),
        ({"offers": (OfferRecord("甲公司", "后端工程师", False, "已入职"),)}, "offer 1 has status '已入职'"),
    ],
)
async def test_submit_rejects_invalid_answers(
    loaded_db: Database,
    make_student: MakeStudent,
    make_submission: MakeSubmission,
    count_rows: CountRows,
    changes: dict[str, object],
    message: str,
) -> None:
    counts = await count_rows(loaded_db)
    with pytest.raises(ValueError, match=message):
        await PairingRepository(loaded_db).submit(make_submission(make_student("13700000001", **changes)))
    assert await count_rows(loaded_db) == counts


async def test_submit_rejects_empty_submission(loaded_db: Database, make_submission: MakeSubmission) -> None:
    with pytest.raises(ValueError, match="no students"):
        await PairingRepository(loaded_db).submit(make_submission())


async def test_submit_rejects_phone_stored_concurrently(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    async with loaded_db.session() as other:
        # An open transaction stores the phone first; the submission cannot see it until it commits.
        other.add(build_student(make_student("13700000001")))
        await other.flush()
        task = asyncio.create_task(pairings.submit(make_submission(make_student("13700000001"))))
        await asyncio.sleep(0.5)
        await other.commit()

    with pytest.raises(StudentPhoneTaken) as caught:
        await task
    assert caught.value.phones == frozenset({"13700000001"})
    assert await pairings.count_students() == 1
    async with loaded_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0


async def test_submit_same_key_concurrently_stores_once(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    submission = make_submission(make_student("13700000001"), make_student("13700000002"))

    results = await asyncio.gather(pairings.submit(submission), pairings.submit(submission))

    assert sorted(result.created for result in results) == [False, True]
    assert results[0].submission_id == results[1].submission_id
    assert results[0].student_ids == results[1].student_ids
    assert await pairings.count_students() == 2


async def test_phones_taken_lists_stored_phones(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    await pairings.submit(make_submission(make_student("13700000001"), make_student("13700000002")))
    assert await pairings.phones_taken(["13700000002", "13700000003"]) == {"13700000002"}
    assert await pairings.phones_taken([]) == set()


async def test_list_for_cadre_summarizes_offers(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    signed = make_student("13700000001", name="甲")
    offered = make_student(
        "13700000002",
        name="乙",
        major="软件工程",
        offers=(OfferRecord("丁公司", "产品经理", False, "考虑中"),),
        final_employment=None,
    )
    waiting = make_student("13700000003", name="丙", has_offer=False, offers=(), final_employment=None)
    first = await pairings.submit(make_submission(signed, offered, key="k1"))
    second = await pairings.submit(make_submission(waiting, key="k2", university_code="4111010003"))
    await pairings.submit(make_submission(make_student("13700000004"), key="k3", cadre_phone="13800000002"))
    cadre = await CadreRepository(loaded_db).get_by_phone("13800000001")
    assert cadre is not None

    summaries = await pairings.list_for_cadre(cadre.id)

    assert [s.student_id for s in summaries] == [*first.student_ids, *second.student_ids]
    assert [s.student_name for s in summaries] == ["甲", "乙", "丙"]
    assert [s.offer_status for s in summaries] == ["已签约", "有offer", "暂无offer"]
    assert [s.university_name for s in summaries] == ["北京大学", "北京大学", "清华大学"]
    assert summaries[1].major == "软件工程"
    assert {s.source for s in summaries} == {"chat"}
    assert all(s.updated_at.tzinfo is not None for s in summaries)


async def test_list_for_cadre_skips_recycle_bin(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    result = await pairings.submit(make_submission(make_student("13700000001"), make_student("13700000002")))
    async with loaded_db.session() as session, session.begin():
        await session.execute(
            update(Pairing)
            .where(Pairing.student_id == result.student_ids[0])
            .values(deleted_at=dt.datetime.now(dt.UTC))
        )
        cadre_id = await session.scalar(select(Cadre.id).where(Cadre.phone == "13800000001"))
    assert cadre_id is not None

    summaries = await pairings.list_for_cadre(cadre_id)

    assert [s.student_id for s in summaries] == [result.student_ids[1]]


async def test_list_for_unknown_cadre_is_empty(loaded_db: Database) -> None:
    assert await PairingRepository(loaded_db).list_for_cadre(12345) == []


async def test_count_students_counts_rows(
    loaded_db: Database, make_student: MakeStudent, make_submission: MakeSubmission
) -> None:
    pairings = PairingRepository(loaded_db)
    assert await pairings.count_students() == 0
    await pairings.submit(make_submission(make_student("13700000001"), make_student("13700000002")))
    assert await pairings.count_students() == 2
