"""Chinese texts of the conversation outside the dialogs: welcome, home menu, submission results."""

from __future__ import annotations

HOME_MENU = (
    "你可以回复：\n"
    "「提交结对」提交新的结对帮扶名单（1至3名学生）\n"
    "「我的结对」查看你名下的结对学生\n"
    "「帮助」查看使用说明"
)

WELCOME = (
    "欢迎关注结对帮扶助手！\n"
    "团干部可以在这里提交和更新精准结对帮扶的困难毕业生名单：输入结对口令（高校全称+001），"
    "填写团干信息，再逐一添加1至3名学生的基本信息、岗位推荐情况和就业情况。"
)

HELP = (
    "【使用说明】\n"
    "1. 首次使用先绑定手机号（输入手机号和短信验证码），手机号是团干部的唯一身份；回复「更换手机号」可换绑。\n"
    "2. 回复「提交结对」，按提示输入结对口令（高校全称+001，例如：北京大学001）。\n"
    "3. 填写团干信息，然后添加1至3名学生，每名学生填写基本信息、岗位推荐情况、就业情况三页。\n"
    "4. 填写过程中可回复「返回」「帮助」「进度」「取消」；核对页回复「修改 N」修改某项。\n"
    "5. 已提交的学生不能自行删除，基本信息不可修改；如需修改或删除，请在填报周期内联系所在高校团委，"
    "也可以回复「申请修改 内容」（例如：申请修改 张三的手机号应为13912345678）把申请发给团委。"
)

UNKNOWN = "抱歉，没有理解你的意思。"
MEDIA_NOT_SUPPORTED = "目前只能识别文字消息，请直接输入文字回复。"
VOICE_NOT_RECOGNIZED = "没能识别这条语音，请改用文字输入。"
NO_MORE_PAGES = "没有下一页了。"
EXPIRED = "你之前未完成的填写已超过{days}天没有操作，已自动失效，需要重新开始。"
RESUME = "欢迎回来！你上次正在「{title}」，停在了这里："
ALREADY_IN_DIALOG = "你正在「{title}」。请先回答下面的问题；如要重新开始，请先回复「取消」。"

SUBMITTED = (
    "提交成功！本次共提交{count}名结对学生：{names}。\n"
    "已提交的学生不能自行删除，基本信息不可修改；学生之后拿到 offer 或入职时，可以回复「我的结对」查看并更新就业信息。\n"
    "如需再添加结对，回复「提交结对」。"
)
SUBMITTED_BEFORE = "这份名单已经提交过了，无需重复提交。回复「我的结对」可查看已提交的学生。"
PHONE_TAKEN_AT_SUBMIT = (
    "提交未成功：第{number}名学生的手机号已被其他结对使用（学生手机号在全库唯一），本次名单未保存，"
    "其余内容都已保留。请核对该生手机号；如确属重复结对，请联系所在高校团委。"
)
SAVE_FAILED = "系统暂时无法保存，你填写的内容都已保留。请稍后回复「提交」重试。"

NO_PAIRINGS = "你名下还没有结对学生。回复「提交结对」添加。"
PAIRINGS_HEADER = "你名下共有{count}名结对学生："
PAIRINGS_FOOTER = "回复序号查看详情，回复「修改 N」更新第N名学生的就业信息；也可以直接发送「张三 拿到offer 腾讯 后端开发 已签约」这样的一句话记录 offer。"

BUSY = "系统繁忙，请稍后重发。"

NO_SUCH_STUDENT = "没有第{number}名学生，请回复 1 到 {count} 之间的序号。"
STUDENT_GONE = "没有找到这名学生，可能已被团委删除。回复「我的结对」查看最新名单。"
DETAILS_TITLE = "的结对信息："
DETAILS_FOOTER = (
    "回复「修改 {number}」更新该生的岗位推荐和就业信息；回复「我的结对」返回列表。\n"
    "基本信息不可修改，如有错误请在填报周期内联系所在高校团委。"
)
DELETE_NOT_ALLOWED = (
    "已提交的结对学生不能自行删除。如该生已失去政策保障资格、无就业意向或信息有误，"
    "请在填报周期内联系所在高校团委或上级团委从后台删除或修改。"
)
UPDATE_INTRO = (
    "开始更新「{name}」的信息：依次核对岗位推荐情况和就业情况，每题回复「不变」可保留原答案。"
    "基本信息已锁定，不可修改。修改在最后回复「确认」后才生效，中途回复「取消」不做任何修改。"
)
UPDATE_SAVED = "已保存「{name}」的修改，共{count}项变更。回复「我的结对」查看名单。"
UPDATE_UNCHANGED = "「{name}」的信息没有变化，未做修改。"

QUICK_INTRO = "好的，为「{student}」记录：{understood}。"
QUICK_NOT_UNDERSTOOD = "没能看懂这条就业信息。"
QUICK_NO_STUDENT = "请写明是哪名学生：姓名或手机号。"
QUICK_UNKNOWN_STUDENT = "你名下没有找到学生「{who}」。回复「我的结对」查看你名下的学生。"
QUICK_PICK = "你名下有{count}名叫「{name}」的学生，请回复序号选择："
QUICK_TOO_MANY = "「{name}」已有10份 offer，达到上限，未保存。请回复「我的结对」，用「修改 N」删除不需要的 offer 后再添加。"
QUICK_ADDED = "已为「{name}」新增 offer（{company}）。"
QUICK_UPDATED = "已更新「{name}」在{company}的 offer 信息。"
QUICK_MOVED_FIRST = "{status}的 offer 已调整为 offer 1。"
QUICK_JOINED = "已记录「{name}」入职{company}。"
CADRE_PHONE_AS_STUDENT = "这是你本人（团干部）的手机号，请填写学生本人的手机号。"
QUICK_ALREADY_SIGNED = "注意：该生已有已签约的 offer（{company}）。如已改签，确认后请在「我的结对」中把原 offer 的状态改为「已拒绝」或「其他」。"
QUICK_REJECT_SIGNED = "注意：这份 offer（{company}）目前是「已签约」，确认后将改为「已拒绝」。"
