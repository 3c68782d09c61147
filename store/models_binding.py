"""The SMS verification codes that bind a mobile number to a WeChat user.

One row is written per code sent. The plain code is never stored: `code_hash` is an HMAC-SHA256 of the
code under the server's key and the row's random salt (see `store.repo_binding.hash_code`). The rows
also count the codes sent per number and per OpenID for the daily limits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime, utc_now


class VerificationCode(Base):
    """A one-time code sent by SMS to `phone` on behalf of the WeChat user `openid`."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index(None, "phone", "sent_at"),
        Index(None, "openid", "sent_at"),
        Index(None, "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    """When the code was entered correctly; a used code cannot be entered again."""
