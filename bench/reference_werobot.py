"""Reference server 3: WeRoBot's echo robot, a WSGI application served by gunicorn.

Run as `gunicorn --workers 1 --bind 127.0.0.1:PORT bench.reference_werobot:app` with WECHAT_TOKEN
set. WeRoBot checks the signature, parses the push and renders the reply itself.
"""

from __future__ import annotations

import os
from typing import Any

from werobot import WeRoBot

robot = WeRoBot(token=os.environ.get("WECHAT_TOKEN", "jieduiBenchToken1"), SESSION_STORAGE=False)


@robot.text
def echo(message: Any) -> str:
    return str(message.content)


app = robot.wsgi
