"""The full service application: the webhook routes plus the database, session store and chat service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from bot import loggers
from bot.config import Settings
from bot.outbound import open_outbound
from bot.service import build_service
from bot.webhook import SERVICE_KEY, SETTINGS_KEY, build_webhook_app
from store import universities
from store.db import Database, upgrade
from store.sessions.base import SessionStore
from store.sessions.memory import MemorySessionStore
from store.sessions.redis import RedisSessionStore

REDIS_KEY_PREFIX = "jiedui:"
"""Prefix of every session-store key the service writes to Redis."""


def create_app(settings: Settings) -> web.Application:
    """Create the application. Its resources open at start-up and close in reverse order at cleanup."""
    app = build_webhook_app(settings)
    app.cleanup_ctx.append(_service_context)
    return app


def open_session_store(settings: Settings) -> SessionStore:
    """Open the Redis session store when REDIS_URL is set, else the in-process one (with a warning)."""
    if settings.redis_url is not None:
        return RedisSessionStore.from_url(
            settings.redis_url.get(), session_ttl_s=settings.session_ttl_s, prefix=REDIS_KEY_PREFIX
        )
    loggers.app.warning(
        "REDIS_URL is not set: sessions are kept in this process's memory, which serves one process only "
        "and is lost on restart"
    )
    return MemorySessionStore(session_ttl_s=settings.session_ttl_s)


async def _service_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY]
    database_url = settings.database_url.get()
    await upgrade(database_url)
    async with contextlib.AsyncExitStack() as resources:
        database = Database(database_url)
        resources.push_async_callback(database.dispose)
        loaded = await universities.ensure_loaded(database)
        if loaded:
            loggers.app.info("loaded %d universities into an empty table", loaded)

        sessions = open_session_store(settings)
        resources.push_async_callback(sessions.close)

        service = await build_service(settings, database, sessions)
        resources.push_async_callback(service.aclose)
        app[SERVICE_KEY] = await open_outbound(settings, database, service, resources)
        loggers.app.info("chat service started")
        yield
        loggers.app.info("chat service stopping")
