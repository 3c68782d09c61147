"""The field types of the dialog engine, one import for the dialog declarations.

Each type implements `dialogs.parsing.FieldType`. `parse` reads a chat reply into a JSON-serializable
value, or returns `Invalid` (a Chinese message with an example) or `NeedsOther`. `hint` returns the
format line shown under the question, and `display` formats a value for a summary.
"""

from __future__ import annotations

from dialogs.fields_choice import Choice, MultiChoice, YesNo
from dialogs.fields_number import Date, Integer, Year
from dialogs.fields_options import OTHER_MAX_LEN
from dialogs.fields_text import Mobile, PersonName, Text
from dialogs.fields_university import PASSCODE_SUFFIX, Passcode, University

__all__ = [
    "OTHER_MAX_LEN",
    "PASSCODE_SUFFIX",
    "Choice",
    "Date",
    "Integer",
    "Mobile",
    "MultiChoice",
    "Passcode",
    "PersonName",
    "Text",
    "University",
    "Year",
    "YesNo",
]
