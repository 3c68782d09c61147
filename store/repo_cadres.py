"""Cadres: look-up by OpenID or phone, and the binding of a phone to a WeChat user."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.models import Cadre
from store.records import CadreProfile

logger = logging.getLogger("jiedui.store")


def cadre_profile(cadre: Cadre) -> CadreProfile:
    """Copy a cadre row into the plain record the dialogs use."""
    return CadreProfile(
        id=cadre.id,
        phone=cadre.phone,
        openid=cadre.openid,
        name=cadre.name,
        title=cadre.title,
        identity=cadre.identity,
        name_locked=cadre.name_locked,
    )


class CadreRepository:
    """Reads cadres and binds phones to OpenIDs; each method runs in its own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_by_openid(self, openid: str) -> CadreProfile | None:
        """Return the cadre bound to `openid`, or None."""
        async with self._db.session() as session:
            cadre = await session.scalar(select(Cadre).where(Cadre.openid == openid))
            return cadre_profile(cadre) if cadre is not None else None

    async def get_by_phone(self, phone: str) -> CadreProfile | None:
        """Return the cadre with `phone`, bound or not, or None."""
        async with self._db.session() as session:
            cadre = await session.scalar(select(Cadre).where(Cadre.phone == phone))
            return cadre_profile(cadre) if cadre is not None else None

    async def bind_phone(self, openid: str, phone: str) -> CadreProfile:
        """Bind `phone` to `openid` without a verification code; see `bind_in_session` for the rules.

        The chat binds only after a correct SMS code (`store.repo_binding.CodeRepository.verify`); this
        method serves tools and tests. Raises ValueError when either argument is empty.
        """
        if not openid or not phone:
            raise ValueError("bind_phone needs a non-empty OpenID and phone")
        try:
            return await self._bind(openid, phone)
        except IntegrityError:
            # Another connection created the same phone or bound the same OpenID after our reads.
            # A second attempt reads that row and updates it instead of inserting.
            logger.warning("phone binding hit a concurrent change; retrying once")
            return await self._bind(openid, phone)

    async def _bind(self, openid: str, phone: str) -> CadreProfile:
        async with self._db.session() as session, session.begin():
            result = await bind_in_session(session, openid, phone)
        return result.profile


@dataclass(frozen=True)
class BindResult:
    """The outcome of a binding: the cadre now bound, and the bindings it ended.

    `took_from_other_openid` is True when the phone was bound to another WeChat user, who lost it.
    `previous_phone` is the phone this OpenID was bound to before, when it was another one.
    """

    profile: CadreProfile
    created: bool
    took_from_other_openid: bool
    previous_phone: str | None


async def bind_in_session(session: AsyncSession, openid: str, phone: str) -> BindResult:
    """Bind `phone` to `openid` inside the caller's transaction; this is where a phone becomes bound.

    Creates the cadre when no cadre has the phone, for example a cadre created by an import keeps its
    row and pairings. A phone bound to another OpenID moves to this one, and a phone that this OpenID
    was bound to before loses its binding. Both may happen in one call.
    """
    cadre = await session.scalar(select(Cadre).where(Cadre.phone == phone))
    previous_phone = await _unbind_other_phone(session, openid, keep=cadre)
    took_from_other = cadre is not None and cadre.openid is not None and cadre.openid != openid
    if cadre is None:
        cadre = Cadre(phone=phone, openid=openid)
        session.add(cadre)
        created = True
    else:
        created = False
        cadre.openid = openid
    await session.flush()
    profile = cadre_profile(cadre)
    logger.info(
        "phone bound to a WeChat user: cadre_id=%d created=%s took_from_other_openid=%s",
        profile.id,
        created,
        took_from_other,
    )
    return BindResult(profile, created, took_from_other, previous_phone)


async def _unbind_other_phone(session: AsyncSession, openid: str, *, keep: Cadre | None) -> str | None:
    """End the binding of `openid` to a cadre other than `keep`, and return that cadre's phone."""
    previous = await session.scalar(select(Cadre).where(Cadre.openid == openid))
    if previous is None or previous is keep:
        return None
    previous.openid = None
    # Flushed on its own so that the UPDATE freeing the OpenID runs before the one taking it.
    await session.flush()
    logger.info("WeChat user unbound from its previous phone: cadre_id=%d", previous.id)
    return previous.phone
