"""WeChat signatures and safe-mode (AES) encryption of pushes and replies.

URL signature: sha1 of the sorted token, timestamp and nonce. Safe mode adds `msg_signature`: sha1 of
the sorted token, timestamp, nonce and the `Encrypt` element. AES itself is wechatpy's `WeChatCrypto`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
import time
from dataclasses import dataclass

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatException

from bot.wechat import WeChatError

_ENVELOPE_VALUE = r"[A-Za-z0-9+/=]*"


class InvalidSignature(WeChatError):
    """A signature does not match the token and the signed values."""


class DecryptionFailed(WeChatError):
    """A signed `Encrypt` value could not be decrypted: wrong EncodingAESKey or AppID, or corrupt data."""


def compute_signature(token: str, *values: str) -> str:
    """Return WeChat's signature: lowercase hex sha1 of the token and values, sorted and concatenated."""
    return hashlib.sha1("".join(sorted([token, *values])).encode("utf-8")).hexdigest()


def signature_matches(expected: str, received: str) -> bool:
    """Compare two signatures in constant time. Non-ASCII input does not match and raises nothing."""
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Raise InvalidSignature unless `signature` is the URL signature of timestamp and nonce."""
    if not signature_matches(compute_signature(token, timestamp, nonce), signature):
        raise InvalidSignature("URL signature does not match")


def check_msg_signature(token: str, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
    """Raise InvalidSignature unless `msg_signature` signs the `Encrypt` value with timestamp and nonce."""
    if not signature_matches(compute_signature(token, timestamp, nonce, encrypt), msg_signature):
        raise InvalidSignature("msg_signature does not match")


def find_element(xml: str, name: str) -> str | None:
    """Return the text of the first `<name>` element of a safe-mode envelope, or None.

    Envelope values are base64, hex or digits, so a regular expression finds them without an XML
    parser. That way the signature is checked before any XML parser reads the body.
    """
    match = re.search(
        rf"<{name}>\s*(?:<!\[CDATA\[({_ENVELOPE_VALUE})\]\]>|({_ENVELOPE_VALUE}))\s*</{name}>",
        xml,
    )
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


@dataclass(frozen=True)
class Envelope:
    """The parts of a safe-mode reply body: the ciphertext and what signs it."""

    encrypt: str
    msg_signature: str
    timestamp: str
    nonce: str


class SafeModeCrypto:
    """Encrypts and decrypts safe-mode messages of one account.

    `previous_aes_key` is the EncodingAESKey before the last change. A push that the current key cannot
    decrypt is tried with it, and the reply is encrypted with the key that decrypted the push.
    """

    def __init__(self, *, token: str, aes_key: str, app_id: str, previous_aes_key: str | None = None) -> None:
        self.token = token
        self.app_id = app_id
        keys = [aes_key] if previous_aes_key is None else [aes_key, previous_aes_key]
        self._ciphers = [WeChatCrypto(token, key, app_id) for key in keys]

    def decrypt(self, encrypt: str, *, msg_signature: str, timestamp: str, nonce: str) -> Decrypted:
        """Check `msg_signature`, then decrypt `encrypt` and return the plaintext XML.

        Raises InvalidSignature or DecryptionFailed.
        """
        check_msg_signature(self.token, msg_signature, timestamp, nonce, encrypt)
        for key_index, cipher in enumerate(self._ciphers):
            try:
                # The signature was checked above in constant time; wechatpy checks it again with `!=`.
                xml = cipher.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
            except (WeChatException, ValueError, struct.error, IndexError):
                # A wrong key shows up as UnicodeDecodeError, struct.error or a wrong AppID.
                continue
            return Decrypted(xml=xml, key_index=key_index)
        raise DecryptionFailed("Encrypt could not be decrypted with the configured EncodingAESKey and AppID")

    def encrypt(
        self, xml: str, *, key_index: int = 0, timestamp: str | None = None, nonce: str | None = None
    ) -> str:
        """Return the safe-mode envelope (Encrypt, MsgSignature, TimeStamp, Nonce) of `xml`."""
        envelope: str = self._ciphers[key_index].encrypt_message(
            xml,
            nonce if nonce is not None else secrets.token_hex(8),
            timestamp if timestamp is not None else str(int(time.time())),
        )
        return envelope

    def encrypt_value(self, xml: str) -> str:
        """Return only the base64 `Encrypt` value of `xml`, as WeChat puts it in a push body."""
        encrypt = find_element(self.encrypt(xml), "Encrypt")
        if encrypt is None:
            raise DecryptionFailed("wechatpy returned an envelope without Encrypt")
        return encrypt

    def open_envelope(self, body: str) -> str:
        """Check and decrypt a safe-mode reply body, and return the plaintext XML."""
        envelope = parse_envelope(body)
        return self.decrypt(
            envelope.encrypt,
            msg_signature=envelope.msg_signature,
            timestamp=envelope.timestamp,
            nonce=envelope.nonce,
        ).xml


@dataclass(frozen=True)
class Decrypted:
    """A decrypted push and the index of the key that decrypted it (0 = current, 1 = previous)."""

    xml: str
    key_index: int


def parse_envelope(body: str) -> Envelope:
    """Read Encrypt, MsgSignature, TimeStamp and Nonce from a safe-mode reply.

    Raises InvalidSignature when any of them is missing, because the reply cannot be checked then.
    """
    parts = {name: find_element(body, name) for name in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")}
    missing = [name for name, value in parts.items() if not value]
    if missing:
        raise InvalidSignature(f"safe-mode envelope has no {', '.join(missing)}")
    return Envelope(
        encrypt=str(parts["Encrypt"]),
        msg_signature=str(parts["MsgSignature"]),
        timestamp=str(parts["TimeStamp"]),
        nonce=str(parts["Nonce"]),
    )
