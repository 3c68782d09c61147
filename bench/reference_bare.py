"""Reference server 1: a bare aiohttp handler answering every push with one fixed reply.

Run as `python -m bench.reference_bare --port PORT`.
"""

from __future__ import annotations

import argparse

from aiohttp import web

FIXED_REPLY = (
    "<xml><ToUserName><![CDATA[o-bench]]></ToUserName><FromUserName><![CDATA[gh_jiedui_sim]]></FromUserName>"
    "<CreateTime>0</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到]]></Content></xml>"
)


async def push(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text=FIXED_REPLY, content_type="application/xml")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/wechat", push)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
