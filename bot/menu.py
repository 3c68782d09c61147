"""The account's custom menu, created with `jiedui menu create`.

Once server configuration is enabled, menus set in the WeChat console stop working, so the service
creates its own. WeChat allows up to 3 top buttons of at most 16 bytes and 5 sub-buttons each.
Every click key is one that `dialogs.conversation.CLICK_COMMANDS` handles.
"""

from __future__ import annotations

from typing import Any

from dialogs.conversation import CLICK_COMMANDS

TOP_NAME_MAX_BYTES = 16
SUB_NAME_MAX_BYTES = 60
MAX_TOP_BUTTONS = 3
MAX_SUB_BUTTONS = 5

MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "提交结对", "key": "SUBMIT_PAIRING"},
        {"type": "click", "name": "我的结对", "key": "MY_PAIRINGS"},
        {
            "name": "帮助",
            "sub_button": [
                {"type": "click", "name": "使用说明", "key": "HELP"},
                {"type": "click", "name": "我的团委", "key": "MY_COMMITTEE"},
            ],
        },
    ]
}
"""The body of /cgi-bin/menu/create."""


def check_menu(menu: dict[str, Any]) -> None:
    """Raise ValueError when the menu breaks WeChat's limits or uses a click key the chat does not handle."""
    buttons = menu["button"]
    if len(buttons) > MAX_TOP_BUTTONS:
        raise ValueError(f"the menu has {len(buttons)} top buttons; WeChat allows {MAX_TOP_BUTTONS}")
    for button in buttons:
        _check_button(button, TOP_NAME_MAX_BYTES)
        subs = button.get("sub_button", [])
        if len(subs) > MAX_SUB_BUTTONS:
            raise ValueError(f"menu {button['name']!r} has {len(subs)} sub-buttons; WeChat allows {MAX_SUB_BUTTONS}")
        for sub in subs:
            _check_button(sub, SUB_NAME_MAX_BYTES)


def _check_button(button: dict[str, Any], max_bytes: int) -> None:
    size = len(button["name"].encode("utf-8"))
    if size > max_bytes:
        raise ValueError(f"menu name {button['name']!r} is {size} bytes; WeChat allows {max_bytes}")
    if button.get("type") == "click" and button["key"] not in CLICK_COMMANDS:
        raise ValueError(f"menu key {button['key']!r} is not handled by the chat; add it to CLICK_COMMANDS")
