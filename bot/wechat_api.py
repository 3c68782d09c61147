"""A small aiohttp client for the few WeChat API endpoints the service calls.

Every endpoint, the token endpoint included, is under one configurable base URL. Calls that need an
access_token take it from a `TokenStore`. When WeChat rejects the token (40001, 40014, 42001), the
client reports it to the store, takes the refreshed token and retries once, never more. The URL of a
call carries the token, so errors are reported by type and endpoint only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

log = logging.getLogger("jiedui.wechat_api")

REQUEST_TIMEOUT_S = 10.0
"""Maximum seconds for one API request, connection included."""

TOKEN_REJECTED = frozenset({40001, 40014, 42001})
"""Error codes meaning the access_token is invalid or expired."""


class WeChatApiError(Exception):
    """WeChat returned a non-zero `errcode`."""

    def __init__(self, errcode: int, errmsg: str, endpoint: str) -> None:
        super().__init__(f"{endpoint} failed with errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint


class WeChatHttpError(Exception):
    """The request failed before WeChat returned JSON, in the connection, by timeout, by HTTP status or in the body."""


@dataclass(frozen=True)
class AccessToken:
    """A token from the token endpoint and its lifetime in seconds."""

    value: str
    expires_in_s: int


TokenFetch = Callable[[], Awaitable[AccessToken]]


class TokenStore(Protocol):
    """Keeps the one access_token every worker uses."""

    async def get(self, fetch: TokenFetch) -> str:
        """Return a valid token, calling `fetch` when none is stored (at most one refresher at a time)."""

    async def invalidate(self, token: str) -> None:
        """Mark `token` rejected, unless a newer one replaced it already."""


class WeChatApi:
    """The outbound WeChat API of one account, over a shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        tokens: TokenStore,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"WeChatApi(base_url={self._base_url!r}, app_id={self._app_id!r})"

    async def fetch_token(self) -> AccessToken:
        """Fetch the account's token from /cgi-bin/stable_token, which does not rotate it on each call."""
        body = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._app_secret}
        answer = await self._post("/cgi-bin/stable_token", body, token=None)
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise WeChatHttpError("/cgi-bin/stable_token returned no access_token")
        log.info("access token fetched: expires_in_s=%s", answer.get("expires_in"))
        return AccessToken(value, int(answer.get("expires_in") or 7200))

    async def send_template(
        self,
        touser: str,
        template_id: str,
        data: Mapping[str, Mapping[str, str]],
        *,
        client_msg_id: str,
        url: str | None = None,
    ) -> int | None:
        """Send a template message and return WeChat's `msgid`.

        WeChat sends one message per `touser` and `client_msg_id` within 10 minutes, so a resend with
        the same id is safe.
        """
        body: dict[str, Any] = {
            "touser": touser,
            "template_id": template_id,
            "data": data,
            "client_msg_id": client_msg_id,
        }
        if url:
            body["url"] = url
        answer = await self.call("/cgi-bin/message/template/send", body)
        msgid = answer.get("msgid")
        return int(msgid) if msgid is not None else None

    async def send_text(self, touser: str, content: str) -> None:
        """Send a customer-service text message (only inside WeChat's window after the user's message)."""
        await self.call("/cgi-bin/message/custom/send", {"touser": touser, "msgtype": "text", "text": {"content": content}})

    async def create_menu(self, menu: Mapping[str, Any]) -> None:
        """Replace the account's custom menu."""
        await self.call("/cgi-bin/menu/create", menu)

    async def call(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` to an endpoint with the access token; one refresh and one retry on a rejected token."""
        token = await self.tokens.get(self.fetch_token)
        try:
            return await self._post(endpoint, body, token=token)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_REJECTED:
                raise
            log.warning("access token rejected by %s (errcode %d); refreshing once", endpoint, error.errcode)
        await self.tokens.invalidate(token)
        token = await self.tokens.get(self.fetch_token)
        return await self._post(endpoint, body, token=token)

    async def _post(self, endpoint: str, body: Mapping[str, Any], *, token: str | None) -> dict[str, Any]:
        params = {"access_token": token} if token is not None else None
        # WeChat shows \\u escapes literally in some places (menus), so Chinese is sent as UTF-8.
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            async with self._session.post(
                self._base_url + endpoint,
                params=params,
                data=payload,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            ) as response:
                if response.status != 200:
                    raise WeChatHttpError(f"{endpoint} returned HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # The message of aiohttp's errors may contain the URL, and with it the token.
            raise WeChatHttpError(f"{endpoint} failed: {type(error).__name__}") from None
        if not isinstance(answer, dict):
            raise WeChatHttpError(f"{endpoint} returned JSON that is not an object")
        errcode = int(answer.get("errcode") or 0)
        if errcode != 0:
            raise WeChatApiError(errcode, str(answer.get("errmsg", "")), endpoint)
        return answer
