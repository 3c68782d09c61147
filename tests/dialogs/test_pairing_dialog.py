"""The pairing dialog run by the engine through the conversation, with an in-memory backend."""

from __future__ import annotations

from pathlib import Path

from tests.dialogs.chat import CADRE_CODE, START, Chat, basic_answers, student_answers

EXAMPLE_SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "submission.txt"


async def test_example_script_submits_two_students() -> None:
    chat = Chat()
    lines = [line for line in EXAMPLE_SCRIPT.read_text(encoding="utf-8").splitlines() if line]
    reply = await chat.run(lines)
    assert "提交成功" in reply
    assert chat.session is None
    assert len(chat.backend.submitted) == 1
    answers, context = chat.backend.submitted[0]
    first, second = answers["students"]
    assert answers["passcode"] == {"code": "4111010001", "name": "北京大学"}
    assert context["phone"] == "13800001111"
    assert len(first["postings"]) == 3
    assert [offer["company"] for offer in first["offers"]] == ["华为技术有限公司", "深圳市腾讯计算机系统有限公司"]
    assert first["offers"][0]["status"]["option"] == "已签约"
    assert first["final_start_date"] == "2026-07-01"
    assert second["branch_recommend_forms"] == {"options": ["团支部大会推荐", "其他"], "other": "班会推荐"}
    assert "offers" not in second
    assert "postings" not in second


async def test_signed_offer_moves_first_with_notice() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers(), "1", "1", "否", "是"])
    await chat.run(["腾讯", "后端开发", "否", "3", "添加", "华为技术", "软件工程师", "是"])
    reply = await chat.say("1")
    assert "已调整为 offer 1" in reply
    offers = chat.answers["students"][0]["offers"]
    assert offers[0]["company"] == "华为技术"


async def test_registration_comes_first() -> None:
    chat = Chat()
    reply = await chat.say("提交结对")
    assert "手机号" in reply
    reply = await chat.say("138-0000-1111")
    assert "验证码已发送至 138****1111" in reply
    assert chat.backend.cadres == {}
    reply = await chat.say(CADRE_CODE)
    assert "绑定成功" in reply
    assert "结对口令" in reply
    assert chat.backend.cadres["o-test-1"].phone == "13800001111"


async def test_wrong_passcode_keeps_question() -> None:
    chat = Chat()
    await chat.run(START[:3])
    reply = await chat.say("北京大学")
    assert "北京大学001" in reply
    reply = await chat.say("火星大学001")
    assert "结对口令" in reply
    reply = await chat.say("北京大學001")
    assert "团干信息" in reply
    assert chat.answers["passcode"]["name"] == "北京大学"


async def test_student_identity_ends_dialog() -> None:
    chat = Chat()
    await chat.run(START[:6])
    reply = await chat.say("2")
    assert "学生身份的团干无法添加结对" in reply
    assert "回复「确认」结束本次填写" in reply
    reply = await chat.say("确认")
    assert "未保存任何内容" in reply
    assert chat.session is None


async def test_policy_no_discards_student() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers()[:8]])
    reply = await chat.say("否")
    assert "非学校认定的政策保障学生无法添加结对" in reply
    assert "回复「确认」不添加这名学生" in reply
    assert chat.answers["students"][0]["name"] == "张三"
    reply = await chat.say("确认")
    assert "这名学生未添加" in reply
    assert "还没有添加学生" in reply
    assert chat.answers["students"] == []
    reply = await chat.say("提交")
    assert "至少需要1名学生" in reply
    reply = await chat.say("添加")
    assert "学生 1/3 · 基本信息 1/14" in reply


async def test_job_seeking_no_discards_student() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers()[:9]])
    reply = await chat.say("2")
    assert "无就业意向的学生无法添加结对" in reply
    reply = await chat.say("1")
    assert "意向行业" in reply
    assert chat.answers["students"][0]["job_seeking"] is True


async def test_back_restores_previous_answer() -> None:
    chat = Chat()
    await chat.run([*START, "张三"])
    reply = await chat.say("返回")
    assert "请输入学生姓名" in reply
    assert "当前答案：张三" in reply
    reply = await chat.say("不变")
    assert "请选择学生性别" in reply
    assert chat.answers["students"][0]["name"] == "张三"


async def test_back_at_first_question() -> None:
    chat = Chat()
    await chat.run(START[:3])
    reply = await chat.say("返回")
    assert "已经是第一个问题了" in reply
    assert "结对口令" in reply


async def test_cancel_asks_then_abandons() -> None:
    chat = Chat()
    await chat.run([*START, "张三"])
    reply = await chat.say("取消")
    assert "确定要放弃" in reply
    reply = await chat.say("否")
    assert "继续填写" in reply
    assert "请选择学生性别" in reply
    await chat.say("取消")
    reply = await chat.say("是")
    assert "已放弃" in reply
    assert chat.session is None
    assert chat.backend.submitted == []


async def test_edit_cadre_field_from_summary() -> None:
    chat = Chat()
    await chat.run(START[:7])
    reply = await chat.say("修改 4")
    assert "当前答案：校团委副书记" in reply
    reply = await chat.say("学院团委书记")
    assert "4. 职务：学院团委书记" in reply
    assert "请核对团干信息" in reply


async def test_info_entry_cannot_be_edited() -> None:
    chat = Chat()
    await chat.run(START[:7])
    reply = await chat.say("修改 1")
    assert "「所在单位」不可修改" in reply
    reply = await chat.say("修改 9")
    assert "没有第9项" in reply


async def test_branch_fields_cleared_when_switched_off() -> None:
    chat = Chat()
    basic = basic_answers()
    await chat.run([*START, *basic[:-1], "是", "计算机学院1班团支部", "赵小红", "13700004444", "1"])
    await chat.run(["1", "1", "否", "否"])
    reply = await chat.say("修改 14")
    assert "团支部推荐" in reply
    reply = await chat.say("否")
    assert "请核对第1名学生的信息" in reply
    assert "团支部名称" not in reply
    student = chat.answers["students"][0]
    assert "branch_name" not in student
    assert "branch_secretary_phone" not in student


async def test_postings_need_at_least_two() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers(), "1", "1", "是", "腾讯", "后端", "深圳"])
    reply = await chat.say("完成")
    assert "第2个岗位" in reply
    await chat.run(["华为", "测试", "东莞"])
    reply = await chat.say("删除 1")
    assert "确定删除第1个岗位" in reply
    reply = await chat.say("是")
    assert "已删除第1个岗位" in reply
    reply = await chat.say("完成")
    assert "至少需要2个岗位" in reply


async def test_at_most_three_students() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers("张三", "13900000001"), "确认"])
    await chat.run(["添加", *student_answers("李四", "13900000002"), "确认"])
    reply = await chat.run(["添加", *student_answers("王五", "13900000003"), "确认"])
    assert "已达到上限3名" in reply
    reply = await chat.say("添加")
    assert "已达到上限3名" in reply


async def test_duplicate_phone_in_draft_rejected() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers("张三", "13900000001"), "确认", "添加", "李四", "2"])
    reply = await chat.say("13900000001")
    assert "与第1名学生的相同" in reply
    assert "请输入学生本人的手机号" in reply


async def test_phone_taken_in_database_rejected() -> None:
    chat = Chat()
    chat.backend.taken_phones.add("13900000001")
    await chat.run([*START, "张三", "1"])
    reply = await chat.say("13900000001")
    assert "已在结对名单中" in reply
    assert "phone" not in chat.answers["students"][0]


async def test_phone_taken_at_submit_reopens_phone() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers("张三", "13900000001"), "确认"])
    chat.backend.taken_phones.add("13900000001")
    reply = await chat.say("提交")
    assert "第1名学生的手机号已被其他结对使用" in reply
    assert "当前答案：13900000001" in reply
    reply = await chat.say("13900000009")
    assert "请核对第1名学生的信息" in reply
    await chat.say("确认")
    reply = await chat.say("提交")
    assert "提交成功" in reply


async def test_save_failure_keeps_draft() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers(), "确认"])
    chat.backend.fail_submit = True
    reply = await chat.say("提交")
    assert "内容都已保留" in reply
    assert chat.answers["students"][0]["name"] == "张三"
    chat.backend.fail_submit = False
    reply = await chat.say("提交")
    assert "提交成功" in reply


async def test_other_text_asked_when_missing() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers()[:7]])
    reply = await chat.say("1、8")
    assert "请补充具体内容" in reply
    reply = await chat.say("单亲家庭")
    assert "政策保障学生" in reply
    assert chat.answers["students"][0]["difficulty_types"]["other"] == "单亲家庭"


async def test_other_text_dropped_when_unselected() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers()[:7], "1、8 单亲家庭", "返回"])
    await chat.say("1、2")
    assert chat.answers["students"][0]["difficulty_types"] == {"options": ["脱贫家庭（含防止返贫监测对象）", "城乡低保家庭"], "other": None}


async def test_help_progress_and_skip() -> None:
    chat = Chat()
    await chat.run(START[:3])
    reply = await chat.say("帮助")
    assert "请勿使用学校简称" in reply
    assert "请输入结对口令" in reply
    await chat.run(START[3:8])
    reply = await chat.say("进度")
    assert "学生 1/3 · 基本信息 1/14" in reply
    reply = await chat.say("跳过")
    assert "必填项" in reply


async def test_optional_final_employment_skipped() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers(), "1", "1", "否", "是", "腾讯", "后端", "否", "3", "完成"])
    reply = await chat.say("跳过")
    assert "请核对第1名学生的信息" in reply
    assert "最终入职单位：未填写" in reply


async def test_name_locked_after_first_submission() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers(), "确认", "提交"])
    reply = await chat.run(["提交结对", "北京大学001"])
    assert "请输入你的职务" in reply
    await chat.say("辅导员")
    reply = await chat.say("1")
    assert "团干部姓名：王建国（已锁定）" in reply
    reply = await chat.say("修改 3")
    assert "联系所在高校团委" in reply


async def test_expired_session_is_announced() -> None:
    chat = Chat()
    reply = await chat.say("你好", expired=True)
    assert "已自动失效" in reply


async def test_resume_after_interruption_shows_position() -> None:
    chat = Chat()
    await chat.run([*START, "张三"])
    chat.now += 2 * 3600
    reply = await chat.say("男")
    assert "欢迎回来" in reply
    assert "请选择学生性别" in reply
    assert "gender" not in chat.answers["students"][0]


async def test_long_summary_is_paged() -> None:
    chat = Chat()
    long_employer = "某某省某某市某某区高新技术产业开发区智能制造科技有限公司"
    postings = []
    for number in range(10):
        postings += [f"{long_employer}{number}", "智能制造工程技术岗位见习生", "某某省某某市某某区"]
        if number >= 1 and number < 9:
            postings.append("添加")
    await chat.run([*START, *basic_answers(), "1", "1", "是", *postings, "完成", "否"])
    reply = chat.replies[-1]
    assert "回复「下一页」" in reply
    second = await chat.say("下一页")
    assert "第2/" in second
    await chat.say("下一页")
    last = await chat.say("下一页")
    assert "没有下一页了" in last or "确认" in last


async def test_media_keeps_position() -> None:
    chat = Chat()
    await chat.run([*START, "张三"])
    reply = await chat.say("", kind="media")
    assert "只能识别文字" in reply
    assert "请选择学生性别" in reply
    reply = await chat.say("[微笑]")
    assert "只能识别文字" in reply


async def test_edit_and_remove_student_from_menu() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers("张三", "13900000001"), "确认"])
    await chat.run(["添加", *student_answers("李四", "13900000002"), "确认"])
    reply = await chat.say("修改 1")
    assert "请核对第1名学生的信息" in reply
    await chat.run(["修改 5", "网络工程"])
    reply = await chat.say("确认")
    assert "张三（网络工程，2026届）" in reply
    reply = await chat.say("删除 2")
    assert "确定删除第2名学生「李四（软件工程，2026届）」吗" in reply
    reply = await chat.say("否")
    assert "已保留" in reply
    await chat.say("删除 2")
    reply = await chat.say("是")
    assert "已删除第2名学生" in reply
    assert [student["name"] for student in chat.answers["students"]] == ["张三"]


async def test_back_from_new_empty_item_returns_to_menu() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers(), "确认", "添加"])
    reply = await chat.say("返回")
    assert "已添加的学生（1名）" in reply
    assert len(chat.answers["students"]) == 1


async def test_menu_clicks_inside_dialog() -> None:
    chat = Chat()
    await chat.run([*START, "张三"])
    reply = await chat.say("", kind="click", key="SUBMIT_PAIRING")
    assert "请先回复「取消」" in reply
    reply = await chat.say("", kind="click", key="HELP")
    assert "请选择学生性别" in reply


async def test_my_pairings_lists_submitted_students() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers(), "确认", "提交"])
    reply = await chat.say("我的结对")
    assert "1. 张三 · 软件工程" in reply


async def test_back_from_next_page_reopens_group_menu() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers(), "1", "1", "是", "腾讯", "后端", "深圳", "华为", "测试", "东莞", "完成"])
    reply = await chat.say("返回")
    assert "已添加的岗位（2个）" in reply
    reply = await chat.say("添加")
    assert "第3个岗位" in reply


async def test_back_twice_then_answers_again_in_order() -> None:
    chat = Chat()
    await chat.run([*START, "张三", "1", "13900002222", "数学学院"])
    await chat.say("返回")
    reply = await chat.say("返回")
    assert "当前答案：13900002222" in reply
    reply = await chat.say("13900002223")
    assert "当前答案：数学学院" in reply
    assert "院系" in reply
    reply = await chat.say("经济学院")
    assert "请输入学生所学专业" in reply
    assert chat.answers["students"][0]["department"] == "经济学院"


async def test_back_from_students_menu_reopens_summary() -> None:
    chat = Chat()
    await chat.run([*START, *student_answers(), "修改 4", "软件学院", "确认"])
    reply = await chat.say("返回")
    assert "请核对第1名学生的信息" in reply


async def test_command_words_are_not_answers() -> None:
    chat = Chat()
    await chat.run([*START, *basic_answers(), "1", "1", "是", "腾讯", "后端", "深圳"])
    reply = await chat.say("完成")
    assert "至少需要2个岗位" in reply
    assert "请先填写第2个岗位" in reply
    assert "employer" not in chat.answers["students"][0]["postings"][1]
    await chat.say("华为")
    reply = await chat.say("添加")
    assert "「添加」不是这一题的答案" in reply


async def test_cancel_confirmation_asks_again() -> None:
    chat = Chat()
    await chat.run([*START, "张三"])
    await chat.say("取消")
    reply = await chat.say("13900002222")
    assert "请回复「是」放弃填写" in reply
    reply = await chat.say("否")
    assert "请选择学生性别" in reply


async def test_cadre_phone_rejected_as_student_phone() -> None:
    chat = Chat()
    await chat.run([*START, "张三", "1"])
    reply = await chat.say("13800001111")
    assert "这是你本人（团干部）的手机号" in reply


async def test_common_words_for_choices() -> None:
    chat = Chat()
    await chat.run(START[:6])
    reply = await chat.say("老师")
    assert "请核对团干信息" in reply
    await chat.run(["确认", "张三"])
    reply = await chat.say("男生")
    assert "请输入学生本人的手机号" in reply
    await chat.run(["13900002222", "计算机学院", "软件工程"])
    reply = await chat.say("大学本科")
    assert "毕业年份" in reply


async def test_back_from_summary_opens_last_question() -> None:
    chat = Chat()
    reply = await chat.run([*START, *student_answers(), "修改 4", "软件学院"])
    assert "请核对第1名学生的信息" in reply
    reply = await chat.say("返回")
    assert "该生是否已拿到 offer" in reply
