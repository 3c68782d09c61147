"""「我的结对」 through the conversation: the list, details, page updates and quick offer updates."""

from __future__ import annotations

from tests.dialogs.chat import CADRE_CODE, START, Chat, student_answers


async def submitted(*students: tuple[str, str]) -> Chat:
    """Return a chat whose cadre has submitted the given (name, phone) students, one per submission."""
    chat = Chat()
    for number, (name, phone) in enumerate(students):
        opening = START if number == 0 else ["提交结对", "北京大学001", "辅导员", "1", "确认"]
        reply = await chat.run([*opening, *student_answers(name, phone), "确认", "提交"])
        assert "提交成功" in reply, reply
    return chat


def add_students(chat: Chat, count: int) -> None:
    """Store `count` extra students directly in the fake backend."""
    for number in range(count):
        student = {"name": f"学生{chr(0x4E00 + number)}", "major": "软件工程", "phone": f"1390000{number:04d}"}
        chat.backend.submitted.append(({"students": [student]}, {}))


async def test_empty_list() -> None:
    chat = Chat()
    await chat.run(["你好", "13800001111", CADRE_CODE])
    reply = await chat.say("我的结对")
    assert "还没有结对学生" in reply


async def test_list_and_details() -> None:
    chat = await submitted(("张三", "13900000001"))
    reply = await chat.say("我的结对")
    assert "共有1名结对学生" in reply
    assert "1. 张三 · 软件工程 · 暂无offer" in reply
    reply = await chat.say("1")
    assert "【张三】的结对信息" in reply
    assert "手机号：13900000001（已锁定）" in reply
    assert "回复「修改 1」" in reply
    reply = await chat.say("5")
    assert "没有第5名学生" in reply


async def test_list_of_25_is_paged() -> None:
    chat = await submitted(("张三", "13900000001"))
    add_students(chat, 24)
    reply = await chat.say("我的结对")
    assert "共有25名结对学生" in reply
    assert "1. 张三" in reply
    pages = [reply]
    while "回复「下一页」" in pages[-1]:
        pages.append(await chat.say("下一页"))
    joined = "\n".join(pages)
    assert "25. 学生" in joined
    assert len(pages) >= 2


async def test_delete_is_refused_with_who_can() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    reply = await chat.say("删除 1")
    assert "不能自行删除" in reply
    assert "高校团委" in reply
    assert len(chat.backend.students()) == 1


async def test_update_keeps_answers_with_keep_word() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    reply = await chat.say("修改 1")
    assert "基本信息已锁定" in reply
    assert "当前答案：就业指导与职业规划" in reply
    reply = await chat.run(["不变", "不变", "不变", "不变"])
    assert "请核对更新" in reply or "回复「确认」保存修改" in reply
    reply = await chat.say("确认")
    assert "没有变化" in reply


async def test_update_records_offer_on_confirm() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    await chat.run(["修改 1", "不变", "不变", "不变", "是", "华为", "软件工程师", "否", "1", "完成", "跳过"])
    assert chat.backend.students()[0]["has_offer"] is False
    reply = await chat.say("确认")
    assert "已保存「张三」的修改" in reply
    student = chat.backend.students()[0]
    assert student["has_offer"] is True
    assert student["offers"][0]["company"] == "华为"


async def test_update_cancel_changes_nothing() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    await chat.run(["修改 1", "不变", "不变", "不变", "是", "华为", "软件工程师", "否", "1", "完成", "跳过"])
    await chat.say("取消")
    reply = await chat.say("是")
    assert "已放弃" in reply
    assert chat.backend.students()[0]["has_offer"] is False


async def test_locked_fields_refused_in_update() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    await chat.run(["修改 1", "不变", "不变", "不变", "不变"])
    for number in (1, 2, 4, 6):
        reply = await chat.say(f"修改 {number}")
        assert "不可修改" in reply
        assert "联系所在高校团委" in reply


async def test_quick_offer_full_form() -> None:
    chat = await submitted(("张三", "13900000001"))
    reply = await chat.say("张三 拿到offer 腾讯 后端开发 已签约")
    assert "该岗位是否由团支部推荐" in reply
    reply = await chat.say("否")
    assert "企业名称：腾讯" in reply
    assert "岗位：后端开发" in reply
    assert "offer 状态：已签约" in reply
    assert "回复「确认」保存修改" in reply
    assert chat.backend.students()[0].get("offers") in (None, [])
    reply = await chat.say("确认")
    assert "已为「张三」新增 offer（腾讯）" in reply
    assert chat.backend.students()[0]["offers"][0]["status"]["option"] == "已签约"


async def test_quick_offer_by_phone_asks_missing_parts() -> None:
    chat = await submitted(("张三", "13900000001"))
    reply = await chat.say("offer 13900000001 字节跳动 产品经理 考虑中")
    assert "是否由团支部推荐" in reply
    await chat.say("否")
    reply = await chat.say("确认")
    assert "新增 offer（字节跳动）" in reply
    reply = await chat.say("李四 签约 华为")
    assert "没有找到学生「李四」" in reply


async def test_quick_sign_reject_join() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.run(["张三 拿到offer 腾讯 后端开发 考虑中", "否", "确认"])
    await chat.run(["张三 拿到offer 华为 软件工程师 考虑中", "否", "确认"])
    reply = await chat.say("张三 签约 华为")
    assert "岗位：软件工程师" in reply
    reply = await chat.say("确认")
    assert "已更新「张三」在华为的 offer 信息" in reply
    assert "已调整为 offer 1" in reply
    offers = chat.backend.students()[0]["offers"]
    assert [offer["company"] for offer in offers] == ["华为", "腾讯"]
    reply = await chat.run(["张三 拒绝 腾讯", "确认"])
    assert chat.backend.students()[0]["offers"][1]["status"]["option"] == "已拒绝"
    reply = await chat.say("张三 入职 华为 2026-07-01")
    assert "入职日期：2026-07-01" in reply
    reply = await chat.say("确认")
    assert "已记录「张三」入职华为" in reply


async def test_quick_ambiguous_name_offers_choice() -> None:
    chat = await submitted(("张三", "13900000001"), ("张三", "13900000002"))
    reply = await chat.say("张三 签约 华为")
    assert "2名叫「张三」的学生" in reply
    assert "2. 张三（软件工程，139****0002）" in reply
    reply = await chat.say("2")
    assert "为「张三（软件工程，139****0002）」记录：签约 · 华为" in reply


async def test_quick_unparseable_lists_forms() -> None:
    chat = await submitted(("张三", "13900000001"))
    reply = await chat.say("offer")
    assert "例如" in reply
    assert "张三 拿到offer 腾讯 后端开发 已签约" in reply


async def test_quick_update_inside_dialog_is_an_answer() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.run(["提交结对", "北京大学001"])
    reply = await chat.say("张三 签约 华为")
    assert "请选择你的身份" in reply
    assert chat.answers["cadre_title"] == "张三 签约 华为"
    assert "offers" not in chat.backend.students()[0]


async def test_quick_offer_limit() -> None:
    chat = await submitted(("张三", "13900000001"))
    for company in ("腾讯", "华为", "京东", "阿里巴巴", "字节跳动", "美团", "百度", "小米", "网易", "拼多多"):
        reply = await chat.run([f"张三 拿到offer {company} 工程师 考虑中", "否", "确认"])
        assert "新增 offer" in reply
    reply = await chat.run(["张三 拿到offer 滴滴 工程师 考虑中", "否", "确认"])
    assert "已有10份 offer" in reply
    assert len(chat.backend.students()[0]["offers"]) == 10


async def test_quick_short_company_updates_listed_offer() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.run(["张三 拿到offer 深圳市腾讯计算机系统有限公司 后端开发 考虑中", "否", "确认"])
    reply = await chat.say("张三 签约 腾讯")
    assert "深圳市腾讯计算机系统有限公司" in reply
    reply = await chat.say("确认")
    assert "已更新「张三」在深圳市腾讯计算机系统有限公司的 offer 信息" in reply
    assert len(chat.backend.students()[0]["offers"]) == 1


async def test_quick_second_signed_offer_warns() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.run(["张三 拿到offer 华为 软件工程师 已签约", "否", "确认"])
    reply = await chat.say("张三 签约 字节跳动")
    assert "该生已有已签约的 offer（华为）" in reply
    await chat.run(["取消", "是"])
    reply = await chat.say("张三 拒绝 华为")
    assert "目前是「已签约」" in reply


async def test_update_header_keeps_prefix_after_back() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    await chat.run(["修改 1", "不变"])
    reply = await chat.say("返回")
    assert "【更新 · 岗位推荐情况 1/3】" in reply


async def test_details_lines_are_not_numbered() -> None:
    chat = await submitted(("张三", "13900000001"))
    await chat.say("我的结对")
    reply = await chat.say("1")
    assert "· 姓名：张三" in reply
    assert "\n2. " not in reply
