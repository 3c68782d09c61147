"""Checks `jiedui serve --workers` makes before it starts any process."""

from __future__ import annotations

import socket

import pytest

from bot.config import ConfigError, Settings
from bot.workers import check_port_free, check_workers, load_factory


def settings(**env: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": "sqlite:///unused.db", **env})


def test_one_worker_needs_no_redis() -> None:
    check_workers(settings(), 1)


def test_several_workers_need_redis() -> None:
    with pytest.raises(ConfigError, match="needs REDIS_URL"):
        check_workers(settings(), 2)
    check_workers(settings(REDIS_URL="redis://127.0.0.1:6379/0"), 2)


def test_zero_workers_rejected() -> None:
    with pytest.raises(ConfigError, match="--workers 0 is invalid"):
        check_workers(settings(), 0)


def test_port_in_use_detected() -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        with pytest.raises(OSError):
            check_port_free("127.0.0.1", port)


def test_factory_loaded_by_name() -> None:
    from bot.app import create_app

    assert load_factory("bot.app:create_app") is create_app
