"""Splitting a long reply into pages that each fit one passive WeChat reply."""

from __future__ import annotations

REPLY_LIMIT_BYTES = 2000
"""Upper bound of one text reply in UTF-8 bytes; WeChat's own limit is undocumented, reported near 2,048."""

PAGE_BREAK = "\f"
"""A forced page break in a reply (a list shows a fixed number of rows per page)."""

_FOOTER = "\n\n（第{page}/{pages}页，回复「下一页」继续查看）"
_FOOTER_RESERVE_BYTES = 80


def utf8_len(text: str) -> int:
    """Return the length of `text` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def _split_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in line:
        if utf8_len(current + char) > limit:
            pieces.append(current)
            current = ""
        current += char
    pieces.append(current)
    return pieces


def paginate(text: str, limit_bytes: int = REPLY_LIMIT_BYTES) -> list[str]:
    """Split `text` at page breaks and line breaks into pages of at most `limit_bytes`, with footers."""
    if utf8_len(text) <= limit_bytes and PAGE_BREAK not in text:
        return [text]
    body_limit = limit_bytes - _FOOTER_RESERVE_BYTES
    chunks: list[str] = []
    for part in text.split(PAGE_BREAK):
        chunks += _chunks(part, body_limit)
    chunks = [chunk.strip("\n") or "……" for chunk in chunks]
    total = len(chunks)
    if total == 1:
        return chunks
    return [
        chunk + (_FOOTER.format(page=number, pages=total) if number < total else f"\n\n（第{total}/{total}页）")
        for number, chunk in enumerate(chunks, 1)
    ]


def _chunks(text: str, body_limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _split_line(line, body_limit):
            candidate = f"{current}\n{piece}" if current else piece
            if current and utf8_len(candidate) > body_limit:
                chunks.append(current)
                candidate = piece
            current = candidate
    chunks.append(current)
    return chunks
