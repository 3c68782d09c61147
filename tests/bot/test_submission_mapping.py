"""Dialog answers and store records map onto each other without loss."""

from __future__ import annotations

import datetime as dt

from bot.submission import student_answers, student_record
from store.records import ChoiceAnswer, EmploymentRecord, OfferRecord, PostingRecord, StudentRecord

FULL = StudentRecord(
    name="张三",
    gender="男",
    phone="13900002222",
    department="计算机学院",
    major="软件工程",
    degree_level="本科",
    graduation_year=2026,
    difficulty_types=ChoiceAnswer(("城乡低保家庭", "其他"), "单亲家庭"),
    policy_guaranteed=True,
    job_seeking=True,
    intended_industry="互联网",
    intended_position="后端开发",
    intended_region="广东深圳",
    branch_recommended=True,
    branch_name="计算机学院1班团支部",
    branch_secretary_name="赵小红",
    branch_secretary_phone="13700004444",
    branch_recommend_forms=ChoiceAnswer(("团员推荐",)),
    support_measures=ChoiceAnswer(("技能培训",)),
    recommend_channels=ChoiceAnswer(("推荐参加招聘会",)),
    postings_recommended=True,
    postings=(PostingRecord("腾讯", "后端", "深圳"), PostingRecord("华为", "测试", "东莞")),
    has_offer=True,
    offers=(OfferRecord("华为", "测试", True, "已签约"), OfferRecord("腾讯", "后端", False, "其他", "等体检")),
    final_employment=EmploymentRecord("华为", "测试", dt.date(2026, 7, 1)),
)

PLAIN = StudentRecord(
    name="李四",
    gender="女",
    phone="13900003333",
    department="经管学院",
    major="会计学",
    degree_level="本科",
    graduation_year=2026,
    difficulty_types=ChoiceAnswer(("城乡低保家庭",)),
    policy_guaranteed=True,
    job_seeking=True,
    intended_industry="金融",
    intended_position="会计",
    intended_region="北京",
    branch_recommended=False,
)


def test_full_record_round_trip() -> None:
    assert student_record(student_answers(FULL)) == FULL


def test_plain_record_round_trip() -> None:
    answers = student_answers(PLAIN)
    assert "offers" not in answers
    assert "postings" not in answers
    assert student_record(answers) == PLAIN
