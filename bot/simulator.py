"""A simulated WeChat user: builds the pushes WeChat would send, signs and encrypts them, reads replies.

Used by `jiedui chat` and by tests, which pass pytest-aiohttp's test client instead of a ClientSession:

    user = WeChatUser(client, "/wechat", token="jiedui-dev-token")
    reply = await user.send_text("你好")   # the reply text, or None for `success`
"""

from __future__ import annotations

import ipaddress
import itertools
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from aiohttp import ClientSession
from aiohttp.test_utils import TestClient

from bot.config import Settings
from bot.crypto import SafeModeCrypto, compute_signature
from bot.wechat import WeChatError

DEFAULT_URL = "http://127.0.0.1:8080/wechat"
DEFAULT_OPENID = "o-sim-cadre-0001"
DEFAULT_ACCOUNT = "gh_jiedui_sim"
"""ToUserName of simulated pushes: the original ID of the official account."""

PostClient = ClientSession | TestClient[Any, Any]
"""An aiohttp client session, or pytest-aiohttp's test client whose URLs are paths."""


class SimulatorError(Exception):
    """The server rejected a push or responded with something WeChat would not accept."""


class PushRejected(SimulatorError):
    """The server responded to a push with an HTTP error status."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"server answered HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


class InvalidReply(SimulatorError):
    """The reply is not a passive reply WeChat would show (not XML, wrong fields or wrong signature)."""


@dataclass(frozen=True)
class ReplyMessage:
    """A passive reply as WeChat reads it, after decryption in safe mode."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    content: str


def escape_cdata(text: str) -> str:
    """Wrap text in CDATA and split `]]>`. Other characters are kept, as in WeChat's own pushes."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _push_xml(
    openid: str, account: str, create_time: int, msg_type: str, fields: dict[str, str | int]
) -> str:
    parts = [
        f"<ToUserName>{escape_cdata(account)}</ToUserName>",
        f"<FromUserName>{escape_cdata(openid)}</FromUserName>",
        f"<CreateTime>{create_time}</CreateTime>",
        f"<MsgType>{escape_cdata(msg_type)}</MsgType>",
    ]
    for name, value in fields.items():
        rendered = str(value) if isinstance(value, int) else escape_cdata(value)
        parts.append(f"<{name}>{rendered}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def build_text_push(*, openid: str, account: str, content: str, msg_id: int, create_time: int) -> str:
    """Build the XML of a text message."""
    return _push_xml(openid, account, create_time, "text", {"Content": content, "MsgId": msg_id})


def build_voice_push(
    *, openid: str, account: str, recognition: str | None, msg_id: int, create_time: int
) -> str:
    """Build the XML of a voice message. When `recognition` is None, the Recognition element is left out."""
    fields: dict[str, str | int] = {"MediaId": f"sim-voice-{msg_id}", "Format": "amr"}
    if recognition is not None:
        fields["Recognition"] = recognition
    fields["MsgId"] = msg_id
    return _push_xml(openid, account, create_time, "voice", fields)


def build_image_push(*, openid: str, account: str, msg_id: int, create_time: int) -> str:
    """Build the XML of an image message (the picture URL points nowhere)."""
    fields: dict[str, str | int] = {
        "PicUrl": "http://127.0.0.1/sim-image.jpg",
        "MediaId": f"sim-image-{msg_id}",
        "MsgId": msg_id,
    }
    return _push_xml(openid, account, create_time, "image", fields)


def build_event_push(
    *, openid: str, account: str, event: str, event_key: str | None = None, create_time: int
) -> str:
    """Build the XML of an event such as `subscribe` or `CLICK` (spelled as WeChat spells it)."""
    fields: dict[str, str | int] = {"Event": event}
    if event_key is not None:
        fields["EventKey"] = event_key
    return _push_xml(openid, account, create_time, "event", fields)


def sign_params(token: str, *, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """Return the query WeChat adds to a plain-mode push URL: signature, timestamp and nonce."""
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    nonce = nonce if nonce is not None else str(secrets.randbelow(10**10))
    return {"signature": compute_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def seal_push(
    xml: str, crypto: SafeModeCrypto, *, account: str, params: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """Encrypt a push as WeChat does in safe mode, and return the body and the query with msg_signature."""
    encrypt = crypto.encrypt_value(xml)
    body = f"<xml><ToUserName>{escape_cdata(account)}</ToUserName><Encrypt>{escape_cdata(encrypt)}</Encrypt></xml>"
    msg_signature = compute_signature(crypto.token, params["timestamp"], params["nonce"], encrypt)
    return body, {**params, "encrypt_type": "aes", "msg_signature": msg_signature}


def parse_reply(xml: str) -> ReplyMessage:
    """Parse a passive text reply, and raise InvalidReply when it is not one."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise InvalidReply(f"reply is not well-formed XML: {exc}") from exc
    values = {child.tag: child.text or "" for child in root}
    missing = [name for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType") if name not in values]
    if root.tag != "xml" or missing:
        raise InvalidReply(f"reply lacks {', '.join(missing) or 'the <xml> root'}")
    if not values["CreateTime"].isdigit():
        raise InvalidReply("reply CreateTime is not a whole number")
    return ReplyMessage(
        to_user=values["ToUserName"],
        from_user=values["FromUserName"],
        create_time=int(values["CreateTime"]),
        msg_type=values["MsgType"],
        content=values.get("Content", ""),
    )


class WeChatUser:
    """One simulated user who sends pushes to the service at `url` and returns the replies.

    In safe mode (`aes_key` and `app_id` given) pushes are encrypted and replies decrypted and checked.
    Each push gets a new MsgId and a CreateTime later than the previous one, so the service never takes
    two different pushes for WeChat's retries of one.
    """

    def __init__(
        self,
        client: PostClient,
        url: str = DEFAULT_URL,
        *,
        token: str,
        aes_key: str | None = None,
        app_id: str | None = None,
        openid: str = DEFAULT_OPENID,
        account: str = DEFAULT_ACCOUNT,
    ) -> None:
        if (aes_key is None) != (app_id is None):
            raise ValueError("safe mode needs both aes_key and app_id")
        self.client = client
        self.url = url
        self.token = token
        self.openid = openid
        self.account = account
        self.crypto = (
            SafeModeCrypto(token=token, aes_key=aes_key, app_id=app_id)
            if aes_key is not None and app_id is not None
            else None
        )
        self.last_reply: ReplyMessage | None = None
        self._msg_ids = itertools.count(secrets.randbelow(2**62) + 1)
        self._last_create_time = 0

    @classmethod
    def from_settings(
        cls, client: PostClient, url: str, settings: Settings, *, openid: str = DEFAULT_OPENID
    ) -> WeChatUser:
        """Create a user who signs with the service's own token and keys."""
        aes_key = settings.encoding_aes_key
        return cls(
            client,
            url,
            token=settings.token.get(),
            aes_key=aes_key.get() if aes_key is not None else None,
            app_id=settings.app_id if aes_key is not None else None,
            openid=openid,
        )

    async def send_text(self, text: str) -> str | None:
        """Send a text message, and return the reply text or None when the server responded `success`."""
        return await self.send_xml(
            build_text_push(**self._sender_fields(), content=text, msg_id=next(self._msg_ids))
        )

    async def send_voice(self, recognition: str | None) -> str | None:
        """Send a voice message whose speech recognition is `recognition` (None: recognition off)."""
        return await self.send_xml(
            build_voice_push(**self._sender_fields(), recognition=recognition, msg_id=next(self._msg_ids))
        )

    async def send_image(self) -> str | None:
        """Send an image message."""
        return await self.send_xml(build_image_push(**self._sender_fields(), msg_id=next(self._msg_ids)))

    async def click(self, key: str) -> str | None:
        """Send the CLICK event of the menu button with EventKey `key`."""
        return await self.send_xml(build_event_push(**self._sender_fields(), event="CLICK", event_key=key))

    async def subscribe(self) -> str | None:
        """Send the subscribe event of a user who follows the account."""
        return await self.send_xml(build_event_push(**self._sender_fields(), event="subscribe", event_key=""))

    async def send_xml(self, xml: str) -> str | None:
        """Sign (and in safe mode encrypt) a push, post it and return the reply text or None."""
        params = sign_params(self.token)
        body = xml
        if self.crypto is not None:
            body, params = seal_push(xml, self.crypto, account=self.account, params=params)
        async with self.client.post(self.url, params=params, data=body.encode("utf-8")) as response:
            status = response.status
            text = await response.text(encoding="utf-8")
        if status != 200:
            raise PushRejected(status, text)
        if text in ("", "success"):
            self.last_reply = None
            return None
        self.last_reply = self._read_reply(text)
        return self.last_reply.content

    def _read_reply(self, text: str) -> ReplyMessage:
        if self.crypto is not None:
            try:
                text = self.crypto.open_envelope(text)
            except WeChatError as exc:
                raise InvalidReply(f"safe-mode reply could not be checked or decrypted: {exc}") from exc
        reply = parse_reply(text)
        if reply.to_user != self.openid or reply.from_user != self.account:
            raise InvalidReply(
                "reply ToUserName and FromUserName are not the push's sender and account swapped"
            )
        if reply.msg_type != "text" or not reply.content:
            raise InvalidReply(f"reply is a {reply.msg_type!r} message with empty or missing Content")
        return reply

    def _sender_fields(self) -> dict[str, Any]:
        self._last_create_time = max(int(time.time()), self._last_create_time + 1)
        return {"openid": self.openid, "account": self.account, "create_time": self._last_create_time}


class UsageError(SimulatorError):
    """A simulator command is invalid. The message shows the correct form."""


COMMANDS_HELP = """\
Type a message and press Enter to send it as a text message. Commands:
  /click KEY    send the CLICK event of the menu button KEY
  /subscribe    send the subscribe event (following the account)
  /voice TEXT   send a voice message recognized as TEXT (/voice alone: recognition off)
  /image        send an image message
  /help         show this list
  /quit         leave (end of input leaves too)"""


async def send_line(user: WeChatUser, line: str) -> str | None:
    """Send one line typed in the simulator: a command from COMMANDS_HELP or else a text message."""
    command, _, argument = line.strip().partition(" ")
    argument = argument.strip()
    if command == "/click":
        if not argument:
            raise UsageError("/click needs the menu key, for example: /click HELP")
        return await user.click(argument)
    if command == "/subscribe":
        return await user.subscribe()
    if command == "/voice":
        return await user.send_voice(argument or None)
    if command == "/image":
        return await user.send_image()
    if command.startswith("/"):
        raise UsageError(f"unknown command {command}; type /help for the list")
    return await user.send_text(line.strip())


def check_loopback(url: str) -> None:
    """Raise UsageError unless `url` is an http(s) URL whose host is localhost or a loopback address."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"invalid URL {url!r}: expected http://HOST:PORT/PATH")
    host = parts.hostname
    if host.lower() == "localhost":
        return
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise UsageError(
            f"{host} is not a loopback address (127.0.0.0/8, ::1 or localhost); "
            "pass --allow-remote to send pushes to a real deployment"
        )
