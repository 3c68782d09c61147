"""Tests of CadreRepository: look-ups and the binding of phones to OpenIDs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store.db import Database
from store.models import Cadre
from store.repositories import CadreRepository


async def _cadre_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Cadre)) or 0)


async def test_unknown_cadre_is_none(db: Database) -> None:
    cadres = CadreRepository(db)
    assert await cadres.get_by_openid("openid-a") is None
    assert await cadres.get_by_phone("13800000001") is None


async def test_bind_new_phone_creates_cadre(db: Database) -> None:
    cadres = CadreRepository(db)
    profile = await cadres.bind_phone("openid-a", "13800000001")

    assert profile.phone == "13800000001"
    assert profile.openid == "openid-a"
    assert profile.name is None
    assert profile.name_locked is False
    assert await cadres.get_by_openid("openid-a") == profile
    assert await cadres.get_by_phone("13800000001") == profile


async def test_bind_same_pair_again_changes_nothing(db: Database) -> None:
    cadres = CadreRepository(db)
    first = await cadres.bind_phone("openid-a", "13800000001")
    second = await cadres.bind_phone("openid-a", "13800000001")
    assert second == first
    assert await _cadre_count(db) == 1


async def test_bind_moves_phone_to_new_openid(db: Database) -> None:
    cadres = CadreRepository(db)
    first = await cadres.bind_phone("openid-old", "13800000001")
    moved = await cadres.bind_phone("openid-new", "13800000001")

    assert moved.id == first.id
    assert moved.openid == "openid-new"
    assert await cadres.get_by_openid("openid-old") is None
    assert await cadres.get_by_openid("openid-new") == moved
    assert await _cadre_count(db) == 1


async def test_bind_openid_to_other_phone_ends_old_binding(db: Database) -> None:
    cadres = CadreRepository(db)
    old = await cadres.bind_phone("openid-a", "13800000001")
    new = await cadres.bind_phone("openid-a", "13800000002")

    assert new.id != old.id
    assert new.openid == "openid-a"
    unbound = await cadres.get_by_phone("13800000001")
    assert unbound is not None
    assert unbound.openid is None
    assert await cadres.get_by_openid("openid-a") == new


async def test_bind_swaps_two_bindings(db: Database) -> None:
    cadres = CadreRepository(db)
    await cadres.bind_phone("openid-a", "13800000001")
    await cadres.bind_phone("openid-b", "13800000002")

    swapped = await cadres.bind_phone("openid-a", "13800000002")

    assert swapped.phone == "13800000002"
    assert swapped.openid == "openid-a"
    first_phone = await cadres.get_by_phone("13800000001")
    assert first_phone is not None
    assert first_phone.openid is None
    assert await cadres.get_by_openid("openid-b") is None
    assert await _cadre_count(db) == 2


async def test_bind_keeps_cadre_details(db: Database) -> None:
    async with db.session() as session, session.begin():
        session.add(
            Cadre(phone="13800000001", name="王老师", title="团委书记", identity="教师", name_locked=True)
        )
    profile = await CadreRepository(db).bind_phone("openid-a", "13800000001")
    assert (profile.name, profile.title, profile.identity, profile.name_locked) == (
        "王老师",
        "团委书记",
        "教师",
        True,
    )


@pytest.mark.parametrize(("openid", "phone"), [("", "13800000001"), ("openid-a", "")])
async def test_bind_rejects_empty_values(db: Database, openid: str, phone: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        await CadreRepository(db).bind_phone(openid, phone)
    assert await _cadre_count(db) == 0
