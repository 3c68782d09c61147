"""「我的结对」, page updates and quick offer updates through the HTTP app, on both stacks."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.submission import student_record
from store.models import Offer
from store.records import PairingSubmission
from store.repositories import CadreRepository, PairingRepository, StudentRepository
from tests.bot.stack import (
    Cadre,
    Stack,
    StackConfig,
    variant_stack,
)

OPENID = "o-cadre-list-0001"
CADRE_PHONE = "13800001111"


def draft(name: str, phone: str) -> dict:
    """Return the dialog answers of a student with no postings and no offer."""
    return {
        "name": name, "gender": "男", "phone": phone, "department": "计算机学院", "major": "软件工程",
        "degree_level": "本科", "graduation_year": 2026,
        "difficulty_types": {"options": ["城乡低保家庭"], "other": None},
        "policy_guaranteed": True, "job_seeking": True, "intended_industry": "互联网",
        "intended_position": "后端开发", "intended_region": "广东深圳", "branch_recommended": False,
        "support_measures": {"options": ["技能培训"], "other": None},
        "recommend_channels": {"options": ["推荐参加招聘会"], "other": None},
        "postings_recommended": False, "has_offer": False,
    }


async def file_students(stack: Stack, students: list[tuple[str, str]]) -> None:
    """Bind the cadre and store the students directly, three per submission."""
    await CadreRepository(stack.database).bind_phone(OPENID, CADRE_PHONE)
    pairings = PairingRepository(stack.database)
    for start in range(0, len(students), 3):
        batch = students[start : start + 3]
        await pairings.submit(
            PairingSubmission(
                openid=OPENID, cadre_phone=CADRE_PHONE, cadre_name="王建国", cadre_title="辅导员",
                cadre_identity="教师", university_code="4111010001",
                students=tuple(student_record(draft(name, phone)) for name, phone in batch),
                submission_key=secrets.token_hex(8),
            )
        )


@pytest.fixture
async def stack(stack_config: StackConfig) -> AsyncIterator[Stack]:
    async for built in variant_stack(stack_config):
        yield built


async def cadre_with(stack: Stack, *students: tuple[str, str]) -> Cadre:
    await file_students(stack, list(students))
    return stack.cadre(OPENID)


async def student_id(stack: Stack, name: str = "张三") -> int:
    profile = await CadreRepository(stack.database).get_by_openid(OPENID)
    assert profile is not None
    [student] = await StudentRepository(stack.database).find_students(profile.id, name=name)
    return student.student_id


async def offers_of(stack: Stack, student_id: int) -> list[tuple[str, str]]:
    async with stack.database.session() as session:
        rows = await session.execute(
            select(Offer.company, Offer.status).where(Offer.student_id == student_id).order_by(Offer.position_order)
        )
        return [(company, status) for company, status in rows]


async def test_lists_with_zero_one_and_25(stack: Stack) -> None:
    await CadreRepository(stack.database).bind_phone(OPENID, CADRE_PHONE)
    cadre = stack.cadre(OPENID)
    assert "还没有结对学生" in await cadre.say("我的结对")
    await file_students(stack, [("张三", "13900000001")])
    reply = await cadre.click("MY_PAIRINGS")
    assert "共有1名结对学生" in reply
    assert "1. 张三 · 软件工程 · 暂无offer" in reply
    await file_students(stack, [(f"学生{chr(0x4E00 + n)}", f"139000001{n:02d}") for n in range(24)])
    reply = await cadre.say("我的结对")
    assert "共有25名结对学生" in reply
    assert "（第1/3页" in reply
    second = await cadre.say("下一页")
    assert "11. 学生" in second
    third = await cadre.say("下一页")
    assert "25. 学生" in third


async def test_page_update_kept_and_history_written(stack: Stack) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"))
    await cadre.say("我的结对")
    reply = await cadre.say("修改 1")
    assert "基本信息已锁定" in reply
    reply = await cadre.run(["不变", "不变", "不变", "是", "华为技术有限公司", "软件工程师", "否", "1", "完成", "跳过"])
    assert "回复「确认」保存修改" in reply
    reply = await cadre.say("确认")
    assert "已保存「张三」的修改" in reply
    identifier = await student_id(stack)
    assert await offers_of(stack, identifier) == [("华为技术有限公司", "已签约")]
    history = await StudentRepository(stack.database).history(identifier)
    assert {row.field for row in history} >= {"has_offer", "offers"}
    assert all(row.author == "cadre" for row in history)
    reply = await cadre.say("我的结对")
    assert "张三 · 软件工程 · 已签约" in reply


async def test_page_update_cancelled_changes_nothing(stack: Stack) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"))
    await cadre.say("我的结对")
    await cadre.run(["修改 1", "不变", "不变", "不变", "是", "华为", "软件工程师", "否", "1", "完成", "跳过"])
    await cadre.say("取消")
    await cadre.say("是")
    identifier = await student_id(stack)
    assert await offers_of(stack, identifier) == []
    assert await StudentRepository(stack.database).history(identifier) == []


async def test_locked_fields_and_delete_refused(stack: Stack) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"))
    await cadre.say("我的结对")
    reply = await cadre.say("删除 1")
    assert "不能自行删除" in reply
    await cadre.run(["修改 1", "不变", "不变", "不变", "不变"])
    for number, label in ((1, "院校"), (4, "手机号"), (6, "专业")):
        reply = await cadre.say(f"修改 {number}")
        assert f"「{label}」不可修改" in reply
        assert "请在填报周期内联系所在高校团委从后台修改" in reply


@pytest.mark.parametrize(
    ("message", "answers", "expected"),
    [
        ("张三 拿到offer 腾讯 后端开发 已签约", ["否"], [("腾讯", "已签约")]),
        ("offer 13900000001 字节跳动 产品经理 考虑中", ["否"], [("字节跳动", "考虑中")]),
        ("张三 签约 华为", ["软件工程师", "否"], [("华为", "已签约")]),
        ("张三 入职 京东 2026-07-01", ["采购专员"], [("京东", "已签约")]),
        ("张三 拒绝 腾讯", ["后端开发", "否"], [("腾讯", "已拒绝")]),
    ],
)
async def test_quick_update_forms(stack: Stack, message: str, answers: list[str], expected: list[tuple[str, str]]) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"))
    await cadre.say(message)
    reply = await cadre.run(answers)
    assert "回复「确认」保存修改" in reply
    await cadre.say("确认")
    assert await offers_of(stack, await student_id(stack)) == expected


async def test_quick_update_ambiguous_unknown_unparseable(stack: Stack) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"), ("张三", "13900000002"))
    reply = await cadre.say("张三 签约 华为")
    assert "2名叫「张三」的学生" in reply
    reply = await cadre.say("2")
    assert "139****0002" in reply
    await cadre.say("取消")
    await cadre.say("是")
    reply = await cadre.say("赵六 签约 华为")
    assert "没有找到学生「赵六」" in reply
    reply = await cadre.say("offer")
    assert "张三 拿到offer 腾讯 后端开发 已签约" in reply


async def test_quick_update_by_voice(stack: Stack) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"))
    reply = await cadre.user.send_voice("offer幺三九零零零零零零零一字节跳动产品经理考虑中。")
    assert reply is not None
    assert "字节跳动" in reply
    await cadre.say("否")
    await cadre.say("确认")
    assert await offers_of(stack, await student_id(stack)) == [("字节跳动", "考虑中")]


async def test_quick_offer_limit_and_reordering(stack: Stack) -> None:
    cadre = await cadre_with(stack, ("张三", "13900000001"))
    companies = ["腾讯", "华为", "京东", "阿里巴巴", "字节跳动", "美团", "百度", "小米", "网易", "拼多多"]
    for company in companies:
        await cadre.run([f"张三 拿到offer {company} 工程师 考虑中", "否", "确认"])
    reply = await cadre.run(["张三 拿到offer 滴滴 工程师 考虑中", "否", "确认"])
    assert "已有10份 offer" in reply
    reply = await cadre.run(["张三 签约 网易", "确认"])
    assert "已调整为 offer 1" in reply
    identifier = await student_id(stack)
    offers = await offers_of(stack, identifier)
    assert len(offers) == 10
    assert offers[0] == ("网易", "已签约")
    history = await StudentRepository(stack.database).history(identifier)
    assert len(history) >= 11
