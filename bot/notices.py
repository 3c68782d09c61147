"""Chinese texts the chat service adds around the conversation's replies."""

from __future__ import annotations

SESSION_LOST = (
    "系统刚刚重启，你之前未完成的填写（如有）已经失效，需要重新开始：回复「提交结对」重新填写。"
    "已经提交成功的学生都已保存，不受影响，也不会被重复添加。"
)

FLOOD = "你发送消息太频繁了，请{wait}后再继续。已填写的内容都保留着，不会丢失。"


def flood_reply(window_s: int) -> str:
    """Return the reply to a push over the flood limit of one window of `window_s` seconds."""
    wait = f"{window_s // 60}分钟" if window_s % 60 == 0 else f"{window_s}秒"
    return FLOOD.format(wait=wait)
