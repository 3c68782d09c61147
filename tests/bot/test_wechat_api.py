"""Tests of the outbound WeChat client and the shared access token, against the fake API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.access_token import MemoryTokenStore, RedisTokenStore
from bot.menu import MENU, check_menu
from bot.templates import shorten, template_data
from bot.wechat_api import AccessToken, TokenStore, WeChatApi, WeChatApiError, WeChatHttpError
from tests.bot.fake_wechat_api import FakeWeChatApi

TEMPLATE = "/cgi-bin/message/template/send"
TOKEN = "/cgi-bin/stable_token"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    await api.start()
    try:
        yield api
    finally:
        await api.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _client(fake: FakeWeChatApi, http: aiohttp.ClientSession, tokens: TokenStore) -> WeChatApi:
    return WeChatApi(http, base_url=fake.base_url, app_id=fake.app_id, app_secret=fake.app_secret, tokens=tokens)


async def _send(api: WeChatApi, client_msg_id: str = "jiedui-1") -> int | None:
    return await api.send_template("o-member", "TPL", {"thing1": {"value": "北京大学"}}, client_msg_id=client_msg_id)


async def test_template_send_body(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    msgid = await _send(_client(fake, http, MemoryTokenStore()))
    request = fake.calls(TEMPLATE)[0]
    assert msgid == 1000
    assert request.token == "TOKEN-1"
    assert request.body == {
        "touser": "o-member",
        "template_id": "TPL",
        "data": {"thing1": {"value": "北京大学"}},
        "client_msg_id": "jiedui-1",
    }


async def test_memory_token_fetched_once(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    fake.token_delay_s = 0.2
    api = _client(fake, http, MemoryTokenStore())
    await asyncio.gather(*(_send(api, f"jiedui-{n}") for n in range(5)))
    assert len(fake.calls(TOKEN)) == 1
    assert len(fake.delivered) == 5


async def test_rejected_token_refreshed_once(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    api = _client(fake, http, MemoryTokenStore())
    await _send(api, "jiedui-1")
    fake.expire_tokens()
    await _send(api, "jiedui-2")
    assert len(fake.calls(TOKEN)) == 2
    assert [call.token for call in fake.calls(TEMPLATE)] == ["TOKEN-1", "TOKEN-1", "TOKEN-2"]


async def test_persistent_token_error_not_looped(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    fake.fail(TEMPLATE, 40001, 40001, 40001)
    api = _client(fake, http, MemoryTokenStore())
    with pytest.raises(WeChatApiError) as error:
        await _send(api)
    assert error.value.errcode == 40001
    assert len(fake.calls(TEMPLATE)) == 2
    assert len(fake.calls(TOKEN)) == 2


async def test_http_error_hides_token(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    fake.fail(TEMPLATE, -502)
    with pytest.raises(WeChatHttpError) as error:
        await _send(_client(fake, http, MemoryTokenStore()))
    assert "502" in str(error.value)
    assert "TOKEN" not in str(error.value)


async def test_wrong_secret_raises(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    api = WeChatApi(http, base_url=fake.base_url, app_id=fake.app_id, app_secret="wrong", tokens=MemoryTokenStore())
    with pytest.raises(WeChatApiError) as error:
        await _send(api)
    assert error.value.errcode == 40125


async def test_two_workers_fetch_token_once(
    fake: FakeWeChatApi, http: aiohttp.ClientSession, redis_url: str, redis_prefix: str
) -> None:
    fake.token_delay_s = 0.3
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        workers = [
            _client(fake, http, RedisTokenStore(first, prefix=redis_prefix)),
            _client(fake, http, RedisTokenStore(second, prefix=redis_prefix)),
        ]
        await asyncio.gather(*(_send(api, f"jiedui-{n}") for n, api in enumerate(workers * 3)))
        assert len(fake.calls(TOKEN)) == 1
        assert {call.token for call in fake.calls(TEMPLATE)} == {"TOKEN-1"}
    finally:
        await first.delete(*[key async for key in first.scan_iter(f"{redis_prefix}*")] or ["none"])
        await first.aclose()
        await second.aclose()


async def test_older_token_never_replaces_newer(redis_url: str, redis_prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    slow_started, release = asyncio.Event(), asyncio.Event()

    async def slow_fetch() -> AccessToken:
        slow_started.set()
        await release.wait()
        return AccessToken("OLD", 7200)

    async def fast_fetch() -> AccessToken:
        return AccessToken("NEW", 7200)

    try:
        slow, fast = RedisTokenStore(redis, prefix=redis_prefix), RedisTokenStore(redis, prefix=redis_prefix)
        slow_get = asyncio.create_task(slow.get(slow_fetch))
        await slow_started.wait()
        # The slow refresher's lock expires while it waits, so another worker refreshes meanwhile.
        await redis.delete(f"{redis_prefix}wechat:access_token:lock")
        assert await fast.get(fast_fetch) == "NEW"
        release.set()
        assert await slow_get == "NEW"
        assert await fast.get(fast_fetch) == "NEW"
        assert (await redis.hget(f"{redis_prefix}wechat:access_token", "value")) == b"NEW"
    finally:
        await redis.delete(*[key async for key in redis.scan_iter(f"{redis_prefix}*")] or ["none"])
        await redis.aclose()


async def test_invalidate_keeps_newer_token(redis_url: str, redis_prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    tokens = iter(["FIRST", "SECOND"])

    async def fetch() -> AccessToken:
        return AccessToken(next(tokens), 7200)

    try:
        store = RedisTokenStore(redis, prefix=redis_prefix)
        assert await store.get(fetch) == "FIRST"
        await store.invalidate("STALE")
        assert await store.get(fetch) == "FIRST"
        await store.invalidate("FIRST")
        assert await store.get(fetch) == "SECOND"
    finally:
        await redis.delete(*[key async for key in redis.scan_iter(f"{redis_prefix}*")] or ["none"])
        await redis.aclose()


def test_values_shortened_with_ellipsis() -> None:
    assert shorten("北京大学") == "北京大学"
    long = "一二三四五六七八九十" * 3
    assert shorten(long) == long[:19] + "…"
    assert len(shorten(long)) == 20
    assert template_data(("thing1", "time2"), ("", "2026-12-01 10:00")) == {
        "thing1": {"value": "-"},
        "time2": {"value": "2026-12-01 10:00"},
    }
    with pytest.raises(ValueError, match="2 keywords"):
        template_data(("thing1", "thing2"), ("a",))


async def test_menu_body(fake: FakeWeChatApi, http: aiohttp.ClientSession) -> None:
    check_menu(MENU)
    await _client(fake, http, MemoryTokenStore()).create_menu(MENU)
    body = fake.calls("/cgi-bin/menu/create")[0].body
    assert [button["name"] for button in body["button"]] == ["提交结对", "我的结对", "帮助"]
    assert body["button"][0] == {"type": "click", "name": "提交结对", "key": "SUBMIT_PAIRING"}
    assert [sub["key"] for sub in body["button"][2]["sub_button"]] == ["HELP", "MY_COMMITTEE"]


def test_menu_check_rejects_long_name() -> None:
    menu = {"button": [{"type": "click", "name": "提交新的结对名单", "key": "SUBMIT_PAIRING"}]}
    with pytest.raises(ValueError, match="bytes"):
        check_menu(menu)
