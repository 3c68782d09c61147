"""The Redis key layout of the session store; every key the Redis backend uses is built here.

With the default prefix the keys are:

- `jiedui:session:{openid}`: the session JSON, expiring `session_ttl_s` after the last save;
- `jiedui:seen:{openid}`: `"1"` while the session lives and for `EXPIRY_NOTICE_TTL_S` after it expired;
- `jiedui:reply:{openid}:{push_key}`: the reply given to one push, for `REPLY_TTL_S`;
- `jiedui:lock:{openid}`: the per-user lock token, for at most `LOCK_TTL_S`.

OpenIDs and push keys go into keys as they are. A WeChat OpenID contains only letters, digits, `_` and
`-`, so it cannot contain the `:` that separates it from the push key.
"""

from __future__ import annotations

import re

_OPENID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")


def check_openid(openid: str) -> str:
    """Return `openid` unchanged, or raise ValueError when it is not a WeChat OpenID.

    Both backends call this, so an identifier that the Redis key layout could not keep apart from
    another user's is rejected the same way everywhere.
    """
    if not _OPENID.fullmatch(openid):
        raise ValueError(
            f"invalid OpenID {openid!r}: expected 1 to 128 letters, digits, '_' or '-' as WeChat sends them"
        )
    return openid


class Keys:
    """Builder of the Redis keys of one deployment; `prefix` keeps deployments on one server apart."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def session(self, openid: str) -> str:
        return f"{self.prefix}session:{check_openid(openid)}"

    def seen(self, openid: str) -> str:
        return f"{self.prefix}seen:{check_openid(openid)}"

    def reply(self, openid: str, push_key: str) -> str:
        return f"{self.prefix}reply:{check_openid(openid)}:{push_key}"

    def lock(self, openid: str) -> str:
        return f"{self.prefix}lock:{check_openid(openid)}"

    def session_pattern(self) -> str:
        """Return the SCAN pattern that matches every session key and no other key of this prefix."""
        return _GLOB_SPECIALS.sub(r"\\\1", self.prefix) + "session:*"
