"""Push XML into `Push`, and the passive text reply, with pushes in WeChat's documented format."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from bot.push import Push
from bot.wechat import (
    MalformedPush,
    UnsupportedPush,
    cdata,
    clean_recognition,
    contains_doctype,
    parse_push,
    render_text_reply,
    strip_illegal_chars,
)

TEXT_PUSH = """<xml>
  <ToUserName><![CDATA[gh_account]]></ToUserName>
  <FromUserName><![CDATA[o-user-1]]></FromUserName>
  <CreateTime>1700000000</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[{content}]]></Content>
  <MsgId>23456789012345678</MsgId>
</xml>"""


def _push(msg_type: str, fields: str, create_time: str = "1700000000") -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[o-user-1]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{fields}</xml>"
    )


def _event(event: str, key: str | None = None, extra: str = "") -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return _push("event", f"<Event><![CDATA[{event}]]></Event>{key_xml}{extra}")


def test_text_push() -> None:
    push = parse_push(TEXT_PUSH.format(content="我要提交结对"))

    assert push == Push(
        openid="o-user-1",
        account="gh_account",
        kind="text",
        create_time=1700000000,
        msg_id=23456789012345678,
        text="我要提交结对",
    )
    assert push.dedup_key == "m:23456789012345678"


def test_text_push_strips_control_chars() -> None:
    push = parse_push(TEXT_PUSH.format(content="张\x00三\x01\x08\x0b\x0c\x0e\x1f\ufffe\n\t李"))

    assert push.text == "张三\n\t李"


def test_text_push_without_content_is_empty_text() -> None:
    push = parse_push(_push("text", "<MsgId>1</MsgId>"))

    assert push.text == ""


@pytest.mark.parametrize(
    ("recognition", "text"),
    [
        ("北京大学。", "北京大学"),
        ("  是的！ ", "是的"),
        ("13800138000？", "13800138000"),
        ("你好。。\u3000", "你好"),
        ("。", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_clean_recognition(recognition: str | None, text: str | None) -> None:
    assert clean_recognition(recognition) == text


def test_voice_push_uses_recognition() -> None:
    push = parse_push(
        _push(
            "voice",
            "<MediaId><![CDATA[m1]]></MediaId><Recognition><![CDATA[北京大学。]]></Recognition><MsgId>7</MsgId>",
        )
    )

    assert push.kind == "voice"
    assert push.text == "北京大学"
    assert push.msg_id == 7


@pytest.mark.parametrize(
    "recognition", ["", "<Recognition><![CDATA[]]></Recognition>", "<Recognition></Recognition>"]
)
def test_voice_push_without_recognition(recognition: str) -> None:
    push = parse_push(_push("voice", f"<MediaId><![CDATA[m1]]></MediaId>{recognition}<MsgId>7</MsgId>"))

    assert push.kind == "voice"
    assert push.text is None


@pytest.mark.parametrize(
    ("msg_type", "fields"),
    [
        ("image", "<PicUrl><![CDATA[http://127.0.0.1/a.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"),
        ("video", "<MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>"),
        ("shortvideo", "<MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>"),
        (
            "location",
            "<Location_X>39.9</Location_X><Location_Y>116.3</Location_Y><Scale>15</Scale><Label>x</Label>",
        ),
        (
            "link",
            "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[u]]></Url>",
        ),
    ],
)
def test_media_push_has_kind_and_no_text(msg_type: str, fields: str) -> None:
    push = parse_push(_push(msg_type, f"{fields}<MsgId>99</MsgId>"))

    assert push.kind == msg_type
    assert push.text is None
    assert push.msg_id == 99


@pytest.mark.parametrize(
    ("xml", "event", "event_key"),
    [
        (_event("subscribe", ""), "subscribe", None),
        (_event("subscribe"), "subscribe", None),
        (_event("subscribe", "qrscene_123", "<Ticket><![CDATA[t]]></Ticket>"), "subscribe", "123"),
        (_event("unsubscribe", ""), "unsubscribe", None),
        (_event("CLICK", "SUBMIT_PAIRING"), "click", "SUBMIT_PAIRING"),
        (_event("VIEW", "http://127.0.0.1/page"), "view", "http://127.0.0.1/page"),
        (_event("SCAN", "123", "<Ticket><![CDATA[t]]></Ticket>"), "scan", "123"),
        (
            _event(
                "subscribe_msg_popup_event", extra="<SubscribeMsgPopupEvent><List/></SubscribeMsgPopupEvent>"
            ),
            "subscribe_msg_popup_event",
            None,
        ),
    ],
)
def test_event_push(xml: str, event: str, event_key: str | None) -> None:
    push = parse_push(xml)

    assert push.kind == "event"
    assert push.event == event
    assert push.event_key == event_key
    assert push.msg_id is None
    assert push.text is None
    assert push.dedup_key == f"e:1700000000:{event}:{event_key or ''}"


def test_template_job_finished_keeps_msg_id() -> None:
    push = parse_push(
        _event("TEMPLATESENDJOBFINISH", extra="<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>")
    )

    assert push.event == "templatesendjobfinish"
    assert push.msg_id == 200163836
    assert push.dedup_key.startswith("e:")


@pytest.mark.parametrize("msg_type", ["file", "miniprogrampage", "music", "brand_new_type"])
def test_unsupported_type(msg_type: str) -> None:
    with pytest.raises(UnsupportedPush) as error:
        parse_push(_push(msg_type, "<MsgId>1</MsgId>"))

    assert error.value.kind == msg_type


@pytest.mark.parametrize(
    "xml",
    [
        "",
        "not xml at all",
        "<xml><MsgType>text</MsgType>",
        "<root><MsgType>text</MsgType></root>",
        "<xml></xml>",
        "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime></xml>",
        _push("text", "<Content><b>nested</b></Content>"),
        _push("text", "<MsgId>12ab</MsgId>"),
        _push("text", "", create_time="yesterday"),
        _push("text", "", create_time=""),
        _push("text", "").replace("<FromUserName><![CDATA[o-user-1]]></FromUserName>", ""),
        _push("text", "").replace("o-user-1", "  "),
        _push("event", ""),
        "<xml><MsgType><a/></MsgType></xml>",
    ],
)
def test_malformed_push(xml: str) -> None:
    with pytest.raises(MalformedPush):
        parse_push(xml)


def test_contains_doctype_any_case() -> None:
    assert contains_doctype(b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]><xml/>')
    assert contains_doctype(b"<!doctype xml><xml/>")
    assert contains_doctype(b"<xml><!EnTiTy x SYSTEM 'file:///etc/passwd'></xml>")
    assert not contains_doctype(TEXT_PUSH.format(content="DOCTYPE ENTITY <!-- comment -->").encode())


def test_strip_illegal_chars_keeps_whitespace() -> None:
    assert strip_illegal_chars("a\tb\nc\rd\x07e\uffff") == "a\tb\nc\rde"


def _reply_fields(xml: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def test_reply_swaps_sender_and_receiver() -> None:
    push = parse_push(TEXT_PUSH.format(content="你好"))

    fields = _reply_fields(render_text_reply(push, "您好！", create_time=1700000001))

    assert fields == {
        "ToUserName": "o-user-1",
        "FromUserName": "gh_account",
        "CreateTime": "1700000001",
        "MsgType": "text",
        "Content": "您好！",
    }


def test_reply_escapes_cdata_end() -> None:
    push = parse_push(TEXT_PUSH.format(content="x"))
    content = "a]]>b]]]]>c<![CDATA[d&e<f>"

    xml = render_text_reply(push, content, create_time=1)

    assert "a]]]]><![CDATA[>b" in xml
    assert _reply_fields(xml)["Content"] == content


def test_reply_strips_control_chars() -> None:
    push = parse_push(TEXT_PUSH.format(content="x"))

    xml = render_text_reply(push, "第一行\n第二行\x00\x1b[0m\x0c", create_time=1)

    assert _reply_fields(xml)["Content"] == "第一行\n第二行[0m"


def test_cdata_of_plain_text() -> None:
    assert cdata("你好") == "<![CDATA[你好]]>"
