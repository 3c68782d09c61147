"""The inbound push as the rest of the service sees it, independent of wechatpy's classes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Push:
    """One message or event pushed by WeChat, reduced to what the chat service needs.

    `kind` is the WeChat MsgType (`text`, `voice`, `image`, `event`, …). `text` is the text content,
    or the speech recognition of a voice message, already cleaned of XML-illegal characters.
    """

    openid: str
    account: str
    kind: str
    create_time: int
    msg_id: int | None = None
    text: str | None = None
    event: str | None = None
    event_key: str | None = None
    status: str | None = None
    """The `Status` of a TEMPLATESENDJOBFINISH event, such as `success` or `failed:user block`."""

    @property
    def dedup_key(self) -> str:
        """Return the key under which WeChat's retries of this push are recognized.

        Messages are keyed on sender and MsgId; events, which carry no MsgId, on sender, CreateTime,
        Event and EventKey.
        """
        if self.kind != "event" and self.msg_id:
            return f"m:{self.msg_id}"
        return f"e:{self.create_time}:{self.event or ''}:{self.event_key or ''}"
