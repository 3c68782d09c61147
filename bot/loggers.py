"""Named loggers of the edge, one per subsystem, and the helpers that keep personal data out of them."""

from __future__ import annotations

import hashlib
import logging
import sys

webhook = logging.getLogger("jiedui.webhook")
"""One line per inbound push and every rejected request."""

app = logging.getLogger("jiedui.app")
"""Start-up and shutdown of the service and its resources."""

OPENID_HASH_LENGTH = 12
"""Number of hex digits of the SHA-256 prefix that represents an OpenID in logs."""


def hash_openid(openid: str) -> str:
    """Return a short SHA-256 prefix of the OpenID, so that log lines of one user can be grouped."""
    return hashlib.sha256(openid.encode("utf-8")).hexdigest()[:OPENID_HASH_LENGTH]


def configure_logging(level: int = logging.INFO) -> None:
    """Send log records of `level` and above to stderr, one line each with time, level and logger.

    Does nothing when the root logger already has handlers (for example under pytest).
    """
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
