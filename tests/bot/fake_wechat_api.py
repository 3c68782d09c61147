"""A fake WeChat API on 127.0.0.1: token, template and customer-service messages, and the menu.

It records every request, checks the access token like WeChat (the current one and, as WeChat keeps
the previous one for 5 minutes, the one before), drops a template message whose touser and
client_msg_id it has seen (WeChat's 10-minute de-duplication), and answers scripted error codes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Recorded:
    """One request the fake received: endpoint, access token given, and JSON body."""

    path: str
    token: str | None
    body: dict[str, Any]


@dataclass
class FakeWeChatApi:
    """State and scripts of the fake; start it with `start()` and point WECHAT_API_BASE_URL at `base_url`."""

    app_id: str = "wx0123456789abcdef"
    app_secret: str = "fake-app-secret"
    token_delay_s: float = 0.0
    send_delay_s: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    errors: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    """Error codes to answer, in order, per endpoint path; an HTTP status is given as a negative of 1000+."""
    delivered: dict[tuple[str, str], int] = field(default_factory=dict)
    """Template messages accepted once per (touser, client_msg_id), with their msgid."""
    tokens: list[str] = field(default_factory=list)
    server: TestServer | None = None
    _msgids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _request_seen: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self._token)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom)
        app.router.add_post("/cgi-bin/menu/create", self._menu)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self.base_url

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def fail(self, path: str, *codes: int) -> None:
        """Answer the next requests to `path` with these error codes (HTTP 502 for -502)."""
        self.errors[path].extend(codes)

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid, as after a fetch by another party."""
        self.tokens.extend(["", ""])

    def calls(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    async def wait_for(self, path: str, count: int = 1, timeout_s: float = 10.0) -> list[Recorded]:
        """Wait until `path` was requested `count` times and return those requests."""
        async with asyncio.timeout(timeout_s):
            while len(self.calls(path)) < count:
                self._request_seen.clear()
                await self._request_seen.wait()
        return self.calls(path)

    async def _record(self, request: web.Request) -> Recorded:
        body = json.loads((await request.read()).decode("utf-8") or "{}")
        recorded = Recorded(request.path, request.query.get("access_token"), body)
        self.requests.append(recorded)
        self._request_seen.set()
        return recorded

    def _scripted(self, path: str) -> web.Response | None:
        if not self.errors[path]:
            return None
        code = self.errors[path].popleft()
        if code <= -500:
            return web.Response(status=-code, text="bad gateway")
        return web.json_response({"errcode": code, "errmsg": f"scripted error {code}"})

    def _token_valid(self, token: str | None) -> bool:
        return token is not None and token != "" and token in self.tokens[-2:]

    async def _token(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if self.token_delay_s:
            await asyncio.sleep(self.token_delay_s)
        if recorded.body.get("appid") != self.app_id or recorded.body.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"TOKEN-{sum(1 for issued in self.tokens if issued) + 1}"
        self.tokens.append(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _authorized(self, request: web.Request) -> tuple[Recorded, web.Response | None]:
        recorded = await self._record(request)
        if self.send_delay_s:
            await asyncio.sleep(self.send_delay_s)
        scripted = self._scripted(request.path)
        if scripted is not None:
            return recorded, scripted
        if not self._token_valid(recorded.token):
            return recorded, web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return recorded, None

    async def _template(self, request: web.Request) -> web.Response:
        recorded, refused = await self._authorized(request)
        if refused is not None:
            return refused
        key = (str(recorded.body["touser"]), str(recorded.body["client_msg_id"]))
        if key not in self.delivered:
            self.delivered[key] = next(self._msgids)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": self.delivered[key]})

    async def _custom(self, request: web.Request) -> web.Response:
        _, refused = await self._authorized(request)
        return refused or web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu(self, request: web.Request) -> web.Response:
        _, refused = await self._authorized(request)
        return refused or web.json_response({"errcode": 0, "errmsg": "ok"})

    def templates_to(self, openid: str) -> list[dict[str, Any]]:
        """Return the distinct template messages accepted for `openid`, in the order first sent."""
        seen: set[str] = set()
        messages = []
        for request in self.calls("/cgi-bin/message/template/send"):
            body = request.body
            key = str(body["client_msg_id"])
            if body["touser"] == openid and (openid, key) in self.delivered and key not in seen:
                seen.add(key)
                messages.append(body)
        return messages
