"""WeChat push XML: parsing it into our `Push` and rendering the passive text reply.

wechatpy's `parse_message` does the parsing and picks the message class. Its objects are untyped, so
they stop here and the rest of the service receives only `Push`.
"""

from __future__ import annotations

import re
from typing import Any
from xml.parsers.expat import ExpatError

from wechatpy import parse_message

from bot.push import Push

MESSAGE_KINDS = frozenset({"text", "voice", "image", "video", "shortvideo", "location", "link"})
"""Message types passed on to the chat service besides events. Any other type is unsupported."""

_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DOCTYPE_OR_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RECOGNITION_TRAILER = "。！？ \t\r\n\u3000"


class WeChatError(Exception):
    """Base class of the errors raised while checking, decrypting or parsing a push."""


class MalformedPush(WeChatError):
    """The push body is not the XML WeChat sends (not XML, or a required field missing or invalid)."""


class UnsupportedPush(WeChatError):
    """The push is well-formed but of a message type the service does not handle."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"unsupported message type {kind!r}")
        self.kind = kind


def strip_illegal_chars(text: str) -> str:
    """Remove the characters XML 1.0 forbids: C0 controls other than tab, LF and CR, and U+FFFE and U+FFFF."""
    return _ILLEGAL_XML_CHARS.sub("", text)


def contains_doctype(body: bytes) -> bool:
    """Return True when the body declares a DOCTYPE or an ENTITY, which WeChat never sends."""
    return _DOCTYPE_OR_ENTITY.search(body) is not None


def parse_push(xml: str) -> Push:
    """Parse a decrypted push into a `Push`.

    Illegal XML characters are removed before parsing, so a push that contains them still parses.
    Raises MalformedPush for anything that is not a WeChat push and UnsupportedPush for message types
    outside MESSAGE_KINDS (events of every type are supported).
    """
    try:
        message = parse_message(strip_illegal_chars(xml))
    except (ExpatError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise MalformedPush(f"push XML could not be parsed: {type(exc).__name__}") from exc
    if message is None:
        raise MalformedPush("push body is empty")

    # wechatpy keeps the parsed fields in `_data`, and unknown event types have no typed accessors.
    fields: dict[str, Any] = message._data
    kind = _required_string(fields, "MsgType").lower()
    if kind != "event" and kind not in MESSAGE_KINDS:
        raise UnsupportedPush(kind)

    openid = _required_string(fields, "FromUserName")
    account = _required_string(fields, "ToUserName")
    create_time = _integer(fields, "CreateTime")
    if create_time is None:
        raise MalformedPush("push has no CreateTime")

    if kind == "event":
        return _event_push(fields, openid=openid, account=account, create_time=create_time)
    return Push(
        openid=openid,
        account=account,
        kind=kind,
        create_time=create_time,
        msg_id=_integer(fields, "MsgId") or None,
        text=_message_text(kind, fields),
    )


def _event_push(fields: dict[str, Any], *, openid: str, account: str, create_time: int) -> Push:
    event = _required_string(fields, "Event").lower()
    # parse_message renames a subscribe through a QR code to subscribe_scan (and removes the
    # `qrscene_` prefix of its EventKey) or subscribe_scan_product; both are still subscriptions.
    if event.startswith("subscribe_scan"):
        event = "subscribe"
    event_key = _optional_string(fields, "EventKey")
    # Only job-finished events carry an id, spelled MsgID; WeChat's delivery report refers to it.
    msg_id = _integer(fields, "MsgID")
    return Push(
        openid=openid,
        account=account,
        kind="event",
        create_time=create_time,
        msg_id=msg_id or None,
        event=event,
        event_key=strip_illegal_chars(event_key) if event_key else None,
        status=_optional_string(fields, "Status"),
    )


def _message_text(kind: str, fields: dict[str, Any]) -> str | None:
    if kind == "text":
        return strip_illegal_chars(_optional_string(fields, "Content") or "")
    if kind == "voice":
        return clean_recognition(_optional_string(fields, "Recognition"))
    return None


def clean_recognition(recognition: str | None) -> str | None:
    """Return the speech recognition of a voice message without the trailing 。！？ and spaces WeChat adds.

    Returns None when recognition is off for the account or recognized nothing.
    """
    if recognition is None:
        return None
    cleaned = strip_illegal_chars(recognition).strip().rstrip(_RECOGNITION_TRAILER)
    return cleaned or None


def _optional_string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedPush(f"push field {name} is not text")
    return value


def _required_string(fields: dict[str, Any], name: str) -> str:
    value = _optional_string(fields, name)
    if not value or not value.strip():
        raise MalformedPush(f"push has no {name}")
    return value.strip()


def _integer(fields: dict[str, Any], name: str) -> int | None:
    value = _optional_string(fields, name)
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError as exc:
        raise MalformedPush(f"push field {name} is not a whole number") from exc


def cdata(text: str) -> str:
    """Wrap text in a CDATA section, splitting any `]]>` across two sections and removing illegal chars."""
    escaped = strip_illegal_chars(text).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{escaped}]]>"


def render_text_reply(push: Push, content: str, *, create_time: int) -> str:
    """Render the passive text reply to `push`: sender and receiver swapped, content in CDATA."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(push.openid)}</ToUserName>"
        f"<FromUserName>{cdata(push.account)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )
