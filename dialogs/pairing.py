"""The pairing submission dialog (提交结对), declared as data for the engine.

The flow follows the mini-program it replaces: the pairing passcode, the cadre's own info, then one to
three students with three pages each (basic info, job-posting recommendation, employment). The field
keys are the names `bot.submission` maps to the database records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.fields import Choice, Date, Mobile, MultiChoice, Passcode, PersonName, Text, Year, YesNo
from dialogs.spec import Answers, Block, Dialog, Field, Group, Info, Page

TEACHER = "教师"
STUDENT_IDENTITY = "学生"
SIGNED = "已签约"
OTHER = "其他"

IDENTITIES = (TEACHER, STUDENT_IDENTITY)
GENDERS = ("男", "女")
DEGREE_LEVELS = ("专科（高职）", "本科", "硕士研究生", "博士研究生")
DIFFICULTY_TYPES = (
    "脱贫家庭（含防止返贫监测对象）",
    "城乡低保家庭",
    "零就业家庭",
    "特困供养人员",
    "残疾学生",
    "烈士子女",
    "长期未就业",
    OTHER,
)
BRANCH_RECOMMEND_FORMS = ("团支部大会推荐", "团支部委员会推荐", "团员推荐", OTHER)
SUPPORT_MEASURES = (
    "就业指导与职业规划",
    "简历与面试辅导",
    "技能培训",
    "心理疏导",
    "求职补贴申请",
    "实习见习推荐",
    OTHER,
)
RECOMMEND_CHANNELS = (
    "线上推送岗位信息",
    "推荐参加招聘会",
    "直接向用人单位推荐",
    "校友或社会资源推荐",
    OTHER,
)
OFFER_STATUSES = (SIGNED, "已接受未签约", "考虑中", "已拒绝", OTHER)

STUDENTS_MAX = 3
POSTINGS_MIN = 2
POSTINGS_MAX = 10
OFFERS_MAX = 10

BASIC_LOCKED = "已提交学生的基本信息不可修改。如学生手机号、院校、专业等有误，请在填报周期内联系所在高校团委从后台修改。"
NAME_LOCKED = "团干部姓名在首次提交成功后不可修改，如需更正请联系所在高校团委。"
PASSCODE_HELP = (
    "结对口令为「高校全称+001」，高校全称以教育部公布的高校名单为准，例如：北京大学001。"
    "请勿使用学校简称。口令由团中央青发部下发至各高校团委，再通知到团干部。"
)


def _is_yes(key: str) -> Any:
    return lambda answers: answers.get(key) is True


def _offer_status(offer: Mapping[str, Any]) -> str:
    status = offer.get("status") or {}
    if isinstance(status, dict):
        if status.get("option") == OTHER and status.get("other"):
            return f"{OTHER}（{status['other']}）"
        return str(status.get("option", ""))
    return str(status)


def _is_signed(offer: Mapping[str, Any]) -> bool:
    status = offer.get("status")
    return isinstance(status, dict) and status.get("option") == SIGNED


def arrange_offers(offers: list[Answers]) -> str | None:
    """Move the first signed offer to position 1, as the filing rules require, and say so."""
    for index, offer in enumerate(offers):
        if _is_signed(offer):
            if index == 0:
                return None
            offers.insert(0, offers.pop(index))
            return f"已签约的 offer（{offer.get('company', '')}）已调整为 offer 1：已签约的 offer 须排在第一位。"
    return None


def _unit(answers: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    passcode = answers.get("passcode") or {}
    return str(passcode.get("name", ""))


def _phone(answers: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    return str(context.get("phone", ""))


def _student_title(student: Mapping[str, Any]) -> str:
    parts = [str(student.get(key)) for key in ("major", "graduation_year") if student.get(key)]
    if len(parts) == 2:
        parts[1] += "届"
    detail = f"（{'，'.join(parts)}）" if parts else ""
    return f"{student.get('name', '（未填姓名）')}{detail}"


def _posting_title(posting: Mapping[str, Any]) -> str:
    return " · ".join(str(posting[key]) for key in ("employer", "position", "location") if posting.get(key))


def _offer_title(offer: Mapping[str, Any]) -> str:
    parts = [str(offer[key]) for key in ("company", "position") if offer.get(key)]
    if offer.get("status"):
        parts.append(_offer_status(offer))
    return " · ".join(parts) or "（未填写）"


def _basic(key: str, label: str, prompt: str, field_type: Any, **options: Any) -> Field:
    """Declare a basic-info field, which is locked once the student is submitted."""
    return Field(key, label, prompt, field_type, locked_after_submit=True, locked_message=BASIC_LOCKED, **options)


PASSCODE_PAGE = Page(
    "passcode_page",
    "结对口令",
    (
        Field(
            "passcode",
            "结对口令",
            "请输入结对口令（高校全称+001，例如：北京大学001）。",
            Passcode(),
            help=PASSCODE_HELP,
        ),
    ),
)

CADRE_PAGE = Page(
    "cadre",
    "团干信息",
    (
        Info("unit", "所在单位", _unit, "所在单位由结对口令确定，不可修改；如填错了口令，请「取消」后重新提交。"),
        Info("cadre_phone", "团干部电话", _phone, "团干部电话是你登录绑定的手机号，不可修改。"),
        Field(
            "cadre_name",
            "团干部姓名",
            "请输入你的姓名（团干部本人）。首次提交成功后姓名不可修改，请务必填写正确。",
            PersonName(),
            locked_after_submit=True,
            locked_message=NAME_LOCKED,
        ),
        Field(
            "cadre_title",
            "职务",
            "请输入你的职务，例如：校团委书记、学院团委副书记、辅导员。",
            Text(1, 30, example="学院团委副书记"),
        ),
        Field(
            "cadre_identity",
            "身份",
            "请选择你的身份。",
            Choice(IDENTITIES, aliases={"老师": TEACHER, "教职工": TEACHER, "辅导员": TEACHER}),
            help="系统仅支持「教师」身份的团干部添加结对。",
            blocks=(
                Block(
                    lambda value: value == STUDENT_IDENTITY,
                    "学生身份的团干无法添加结对，结对需由教师身份的团干部添加。",
                    scope="dialog",
                ),
            ),
        ),
    ),
    confirm=True,
)

BRANCH_FIELDS = (
    _basic("branch_name", "团支部名称", "请输入推荐该生的团支部名称。", Text(2, 50, example="计算机学院2022级1班团支部"),
           when=_is_yes("branch_recommended")),
    _basic("branch_secretary_name", "团支部书记姓名", "请输入团支部书记姓名。", PersonName(),
           when=_is_yes("branch_recommended")),
    _basic("branch_secretary_phone", "团支部书记电话", "请输入团支部书记的手机号。", Mobile(),
           when=_is_yes("branch_recommended")),
    _basic("branch_recommend_forms", "团支部推荐形式", "团支部通过哪些形式推荐了该生？", MultiChoice(BRANCH_RECOMMEND_FORMS, other=OTHER, other_example="班会推荐"),
           when=_is_yes("branch_recommended"), help="可多选；选「其他」时请写明具体形式，例如：4 其他：班会推荐。"),
)

BASIC_PAGE = Page(
    "basic",
    "基本信息",
    (
        _basic("name", "姓名", "请输入学生姓名。", PersonName()),
        _basic("gender", "性别", "请选择学生性别。", Choice(GENDERS)),
        _basic(
            "phone",
            "手机号",
            "请输入学生本人的手机号。",
            Mobile(),
            checks=("not_cadre_phone", "student_phone_free"),
            unique_in_group="students",
            help="学生手机号在全库唯一：已入库的学生不能重复添加。",
        ),
        _basic("department", "院系", "请输入学生所在院系，例如：计算机学院。", Text(2, 40, example="计算机学院")),
        _basic("major", "专业", "请输入学生所学专业，例如：软件工程。", Text(2, 40, example="软件工程")),
        _basic("degree_level", "学历层次", "请选择学生的学历层次。", Choice(DEGREE_LEVELS)),
        _basic("graduation_year", "毕业年份", "请输入学生的毕业年份。", Year(2015, 2035)),
        _basic("difficulty_types", "困难类型", "请选择学生的困难类型。", MultiChoice(DIFFICULTY_TYPES, other=OTHER, other_example="单亲家庭"),
               help="可多选；选「其他」时请写明具体类型，例如：8 其他：单亲家庭。"),
        _basic(
            "policy_guaranteed",
            "是否学校认定的政策保障学生",
            "该生是否为学校认定的政策保障学生？",
            YesNo(),
            default=True,
            blocks=(Block(lambda value: value is False,
                          "非学校认定的政策保障学生无法添加结对。"),),
        ),
        _basic(
            "job_seeking",
            "是否有就业意向",
            "该生是否有就业意向？",
            YesNo(),
            default=True,
            blocks=(Block(lambda value: value is False,
                          "无就业意向的学生无法添加结对。"),),
        ),
        _basic("intended_industry", "意向行业", "该生的意向行业是？例如：互联网、教育、制造业。", Text(1, 40, example="互联网")),
        _basic("intended_position", "意向岗位", "该生的意向岗位是？例如：软件开发、行政文员。", Text(1, 40, example="软件开发")),
        _basic("intended_region", "意向地区", "该生的意向就业地区是？例如：广东深圳、不限。", Text(1, 40, example="广东深圳")),
        _basic("branch_recommended", "是否团支部推荐", "该生是否为团支部推荐？", YesNo(), default=False),
        *BRANCH_FIELDS,
    ),
)

POSTINGS = Group(
    "postings",
    "岗位",
    "个",
    (
        Field("employer", "单位名称", "请输入推荐岗位的单位名称。", Text(2, 60, example="深圳市腾讯计算机系统有限公司")),
        Field("position", "岗位名称", "请输入岗位名称。", Text(1, 40, example="后端开发工程师")),
        Field("location", "工作地点", "请输入工作地点，例如：广东深圳。", Text(1, 40, example="广东深圳")),
    ),
    min_items=POSTINGS_MIN,
    max_items=POSTINGS_MAX,
    title=_posting_title,
    when=_is_yes("postings_recommended"),
)

POSTINGS_PAGE = Page(
    "postings_page",
    "岗位推荐情况",
    (
        Field("support_measures", "开展过的就业帮扶", "你为该生开展过哪些就业帮扶？",
              MultiChoice(SUPPORT_MEASURES, other=OTHER, other_example="一对一求职陪跑"), help="可多选；选「其他」时请写明，例如：7 其他：一对一求职陪跑。"),
        Field("recommend_channels", "推荐岗位的方式", "你通过哪些方式向该生推荐岗位？",
              MultiChoice(RECOMMEND_CHANNELS, other=OTHER, other_example="组织企业参访"), help="可多选；选「其他」时请写明，例如：5 其他：组织企业参访。"),
        Field(
            "postings_recommended",
            "是否推荐不少于2个相符岗位",
            "是否已为该生推荐不少于2个与其就业意向相符的岗位？",
            YesNo(),
            help="选「是」需要逐个填写至少2个岗位（单位名称、岗位名称、工作地点）。",
        ),
        POSTINGS,
    ),
)

OFFERS = Group(
    "offers",
    "offer",
    "份",
    (
        Field("company", "企业名称", "请输入发出 offer 的企业名称。", Text(2, 60, example="华为技术有限公司")),
        Field("position", "岗位", "请输入 offer 的岗位。", Text(1, 40, example="测试工程师")),
        Field("branch_recommended", "是否团支部推荐", "该岗位是否由团支部推荐？", YesNo()),
        Field("status", "offer 状态", "请选择该 offer 的状态。", Choice(OFFER_STATUSES, other=OTHER, other_example="等待体检结果"),
              help="已签约的 offer 会自动排在第一位；选「其他」时请写明，例如：5 其他：等待体检结果。"),
    ),
    min_items=1,
    max_items=OFFERS_MAX,
    title=_offer_title,
    when=_is_yes("has_offer"),
    arrange=arrange_offers,
)

EMPLOYMENT_PAGE = Page(
    "employment",
    "就业情况",
    (
        Field("has_offer", "是否拿到offer", "该生是否已拿到 offer？", YesNo(), default=False,
              help="尚未拿到 offer 选「否」即可，之后学生拿到 offer 时可随时补充。"),
        OFFERS,
        Field("final_employer", "最终入职单位", "请输入该生最终入职的单位。", Text(2, 60, example="华为技术有限公司"),
              optional=True, when=_is_yes("has_offer"), help="学生尚未入职可回复「跳过」，之后再补充。"),
        Field("final_position", "入职岗位", "请输入入职岗位。", Text(1, 40, example="测试工程师"),
              when=lambda answers: answers.get("has_offer") is True and bool(answers.get("final_employer"))),
        Field("final_start_date", "入职日期", "请输入入职日期。", Date(), optional=True,
              when=lambda answers: answers.get("has_offer") is True and bool(answers.get("final_employer"))),
    ),
)

STUDENTS = Group(
    "students",
    "学生",
    "名",
    (BASIC_PAGE, POSTINGS_PAGE, EMPLOYMENT_PAGE),
    min_items=1,
    max_items=STUDENTS_MAX,
    title=_student_title,
    confirm_item=True,
    done_word="提交",
    done_action="提交本次全部结对名单",
)

PAIRING = Dialog(
    "pairing",
    "提交结对",
    (PASSCODE_PAGE, CADRE_PAGE, STUDENTS),
    intro="开始提交结对名单：先输入结对口令，再填写团干信息，然后添加1至3名帮扶学生，每名学生分基本信息、岗位推荐情况、就业情况三页。",
)

DIALOGS = {PAIRING.key: PAIRING}


def student_names(answers: Mapping[str, Any]) -> list[str]:
    """Return the names of the students in a pairing draft."""
    return [str(student.get("name", "")) for student in answers.get("students", [])]
