"""Reference server 2: aiohttp with wechatpy's signature check, parsing and TextReply, and no state.

This is the least a WeChat webhook does per push. Run as `python -m bench.reference_stateless --port PORT`.
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

TOKEN_KEY = web.AppKey("token", str)


async def push(request: web.Request) -> web.Response:
    query = request.query
    try:
        check_signature(request.app[TOKEN_KEY], query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
    except InvalidSignatureException:
        raise web.HTTPForbidden() from None
    message = parse_message(await request.read())
    reply = TextReply(message=message, content="收到")
    return web.Response(text=reply.render(), content_type="application/xml")


def create_app(token: str) -> web.Application:
    app = web.Application()
    app[TOKEN_KEY] = token
    app.router.add_post("/wechat", push)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(os.environ["WECHAT_TOKEN"])
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
