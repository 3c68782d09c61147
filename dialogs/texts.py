"""Chinese texts the dialog engine sends, whatever the dialog."""

from __future__ import annotations

COMMANDS_LINE = "随时可回复「返回」回到上一题，「帮助」查看说明，「进度」查看进度，「取消」放弃填写。"

KEEP_LINE = "当前答案：{value}（回复「不变」保留）"
DEFAULT_LINE = "默认：{value}（回复「默认」即选此项）"
OPTIONAL_LINE = "此项可不填，回复「跳过」即可。"

NOT_OPTIONAL = "「{label}」是必填项，不能跳过。"
NOTHING_TO_KEEP = "这一项还没有答案，请直接回复。"
NO_DEFAULT = "这一项没有默认值，请直接回复。"
NOTHING_BEFORE = "已经是第一个问题了，没有上一题。"
NO_HELP = "这一题要填写的是「{label}」，请按问题下方的提示作答。"
PROGRESS = "你正在填写「{title}」，当前位置：{header}。"

OTHER_PROMPT = "你选择了「其他」，请补充具体内容（例如：{example}）。"
OTHER_EMPTY = "「其他」的具体内容不能为空，请补充一句话说明。"

CONFIRM_CANCEL = "确定要放弃本次填写吗？已填写的内容将全部丢弃。\n回复「是」放弃，回复「否」继续填写。"
CANCELLED = "已放弃本次填写，未保存任何内容。"
CANCEL_ABORTED = "好的，继续填写。"

DUPLICATE_IN_GROUP = "「{label}」与第{number}{group}的相同，同一次填写中不能重复，请检查后重新输入。"

SUMMARY_FOOTER = "回复「确认」保存，或回复「修改 N」修改第N项（例如「修改 {example}」）。"
PAGE_SUMMARY_FOOTER = "回复「确认」进入下一步，或回复「修改 N」修改第N项（例如「修改 {example}」）。"
SUMMARY_REPLY = "请回复「确认」，或回复「修改 N」修改某一项（N 为上面列表中的序号）。"
NO_SUCH_ENTRY = "没有第{number}项。请回复「修改 N」，N 为 1 到 {count} 之间的序号。"
LOCKED_ENTRY = "「{label}」不可修改。"
SKIPPED_VALUE = "未填写"

GROUP_EMPTY = "还没有添加{label}。"
GROUP_LIST = "已添加的{label}（{count}{counter}）："
GROUP_ADD = "回复「添加」再添加一{counter}{label}（还可添加{left}{counter}）"
GROUP_FULL = "已达到上限{max}{counter}，不能再添加。"
GROUP_EDIT = "回复「修改 N」修改第N{counter}，「删除 N」删除第N{counter}"
GROUP_DONE = "回复「{word}」{action}"
GROUP_DONE_ACTION = "继续下一步"
GROUP_NEED_MORE = "至少需要{min}{counter}{label}，目前只有{count}{counter}，请回复「添加」继续添加。"
GROUP_REPLY = "请按上面的提示回复。"
GROUP_NO_SUCH_ITEM = "没有第{number}{counter}{label}，请回复 1 到 {count} 之间的序号。"
GROUP_REMOVED = "已删除第{number}{counter}{label}。"
GROUP_ITEM_SAVED = "第{number}{counter}{label}已保存。"

RESUME = "欢迎回来！你上次正在填写「{title}」，停在了这里："

NOT_AN_ANSWER = "「{word}」不是这一题的答案。请回答下面的问题，或回复「返回」回到上一题。"
LOCKED_NEXT = "\n请回复「确认」继续，或回复「修改 N」修改其他项。"
BLOCK_CONFIRM_ITEM = "回复「确认」不添加这{item}（已填写的内容将丢弃）；如果选错了，请重新回答："
BLOCK_CONFIRM_DIALOG = "回复「确认」结束本次填写；如果选错了，请重新回答："
BLOCK_DISCARDED = "这{item}未添加。"
BLOCK_ENDED = "本次填写已结束，未保存任何内容。"
CONFIRM_CANCEL_AGAIN = "请回复「是」放弃填写，或回复「否」继续填写。"
CONFIRM_REMOVE = "确定删除第{number}{counter}{label}「{title}」吗？回复「是」删除，回复「否」保留。"
CONFIRM_REMOVE_AGAIN = "请回复「是」删除，或回复「否」保留。"
REMOVE_ABORTED = "好的，已保留。"
