"""Signatures and safe-mode encryption, checked against WeChat's documented format."""

from __future__ import annotations

import base64
import secrets
import socket
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.crypto import (
    DecryptionFailed,
    InvalidSignature,
    SafeModeCrypto,
    check_msg_signature,
    check_signature,
    compute_signature,
    find_element,
    parse_envelope,
)
from tests.bot.conftest import AES_KEY, APP_ID, PREVIOUS_AES_KEY, TOKEN

PUSH_XML = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Content><![CDATA[你好]]></Content></xml>"


def _crypto(aes_key: str = AES_KEY, app_id: str = APP_ID, previous: str | None = None) -> SafeModeCrypto:
    return SafeModeCrypto(token=TOKEN, aes_key=aes_key, app_id=app_id, previous_aes_key=previous)


def _random_aes_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def test_signature_pinned_value() -> None:
    # sha1("1234561700000000jiedui-dev-token"): the three values sorted as strings, then joined.
    assert (
        compute_signature("jiedui-dev-token", "1700000000", "123456")
        == "475ebae800b4f1ecfef6ba1b07d265691e4b4c79"
    )


def test_signature_ignores_argument_order() -> None:
    assert compute_signature(TOKEN, "1", "2", "3") == compute_signature(TOKEN, "3", "1", "2")


def test_check_signature_accepts_valid() -> None:
    check_signature(TOKEN, compute_signature(TOKEN, "1700000000", "42"), "1700000000", "42")


@pytest.mark.parametrize(
    "signature", ["0" * 40, "", "签名不对", compute_signature("otherToken", "1700000000", "42")]
)
def test_check_signature_rejects_invalid(signature: str) -> None:
    with pytest.raises(InvalidSignature):
        check_signature(TOKEN, signature, "1700000000", "42")


def test_check_msg_signature_covers_encrypt() -> None:
    signature = compute_signature(TOKEN, "1700000000", "42", "ENCRYPTED")

    check_msg_signature(TOKEN, signature, "1700000000", "42", "ENCRYPTED")
    with pytest.raises(InvalidSignature):
        check_msg_signature(TOKEN, signature, "1700000000", "42", "ENCRYPTEE")


def test_encrypt_value_round_trip() -> None:
    crypto = _crypto()
    encrypt = crypto.encrypt_value(PUSH_XML)
    signature = compute_signature(TOKEN, "1700000000", "42", encrypt)

    decrypted = crypto.decrypt(encrypt, msg_signature=signature, timestamp="1700000000", nonce="42")

    assert decrypted.xml == PUSH_XML
    assert decrypted.key_index == 0


def test_ciphertext_has_wechat_layout() -> None:
    # Decrypt independently: AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes, then
    # 16 random bytes, 4-byte big-endian length, the XML, the AppID.
    encrypt = _crypto().encrypt_value(PUSH_XML)
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()

    padding = padded[-1]
    assert 1 <= padding <= 32
    assert len(padded) % 32 == 0
    content = padded[16:-padding]
    length = socket.ntohl(struct.unpack("I", content[:4])[0])
    assert content[4 : 4 + length].decode("utf-8") == PUSH_XML
    assert content[4 + length :].decode() == APP_ID


def test_reply_envelope_round_trip() -> None:
    crypto = _crypto()
    body = crypto.encrypt(PUSH_XML, timestamp="1700000000", nonce="abc123")

    envelope = parse_envelope(body)
    assert envelope.timestamp == "1700000000"
    assert envelope.nonce == "abc123"
    assert envelope.msg_signature == compute_signature(TOKEN, "1700000000", "abc123", envelope.encrypt)
    assert crypto.open_envelope(body) == PUSH_XML


def test_reply_nonce_is_random() -> None:
    crypto = _crypto()

    nonces = {parse_envelope(crypto.encrypt(PUSH_XML)).nonce for _ in range(5)}

    assert len(nonces) == 5


def test_tampered_msg_signature_rejected() -> None:
    crypto = _crypto()
    encrypt = crypto.encrypt_value(PUSH_XML)

    with pytest.raises(InvalidSignature):
        crypto.decrypt(encrypt, msg_signature="0" * 40, timestamp="1700000000", nonce="42")


def test_wrong_key_raises_decryption_failed() -> None:
    # A wrong key fails in wechatpy as UnicodeDecodeError, struct.error or a wrong AppID, depending
    # on the garbage it decrypts. Trying many keys makes it likely that every path is taken.
    encrypt = _crypto().encrypt_value(PUSH_XML)
    signature = compute_signature(TOKEN, "1700000000", "42", encrypt)

    for _ in range(100):
        with pytest.raises(DecryptionFailed):
            _crypto(aes_key=_random_aes_key()).decrypt(
                encrypt, msg_signature=signature, timestamp="1700000000", nonce="42"
            )


def test_wrong_app_id_raises_decryption_failed() -> None:
    encrypt = _crypto().encrypt_value(PUSH_XML)
    signature = compute_signature(TOKEN, "1700000000", "42", encrypt)

    with pytest.raises(DecryptionFailed):
        _crypto(app_id="wxffffffffffffffff").decrypt(
            encrypt, msg_signature=signature, timestamp="1700000000", nonce="42"
        )


@pytest.mark.parametrize("encrypt", ["not base64!", "QUJD", base64.b64encode(b"x" * 33).decode(), ""])
def test_corrupt_encrypt_raises_decryption_failed(encrypt: str) -> None:
    signature = compute_signature(TOKEN, "1700000000", "42", encrypt)

    with pytest.raises(DecryptionFailed):
        _crypto().decrypt(encrypt, msg_signature=signature, timestamp="1700000000", nonce="42")


def test_previous_key_still_decrypts() -> None:
    encrypt = _crypto(aes_key=PREVIOUS_AES_KEY).encrypt_value(PUSH_XML)
    signature = compute_signature(TOKEN, "1700000000", "42", encrypt)
    crypto = _crypto(previous=PREVIOUS_AES_KEY)

    decrypted = crypto.decrypt(encrypt, msg_signature=signature, timestamp="1700000000", nonce="42")

    assert decrypted.xml == PUSH_XML
    assert decrypted.key_index == 1
    reply = crypto.encrypt("<xml>reply</xml>", key_index=decrypted.key_index)
    assert _crypto(aes_key=PREVIOUS_AES_KEY).open_envelope(reply) == "<xml>reply</xml>"


def test_find_element_plain_and_cdata() -> None:
    body = "<xml><Encrypt><![CDATA[QUJD+/=]]></Encrypt><TimeStamp>1700000000</TimeStamp></xml>"

    assert find_element(body, "Encrypt") == "QUJD+/="
    assert find_element(body, "TimeStamp") == "1700000000"
    assert find_element(body, "Nonce") is None
    assert find_element("<xml><Encrypt><evil/></Encrypt></xml>", "Encrypt") is None


def test_parse_envelope_requires_all_parts() -> None:
    with pytest.raises(InvalidSignature) as error:
        parse_envelope("<xml><Encrypt><![CDATA[QUJD]]></Encrypt></xml>")

    assert "MsgSignature" in str(error.value)
