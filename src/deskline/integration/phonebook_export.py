"""A phonebook group as CSV: a header row, RFC 4180 quoting, formula injection guarded.

Values starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) are prefixed
with ``'`` so a spreadsheet shows them as text instead of running them as a formula. The one
exception is a number column holding a plain phone number (``+49 30 1234567``): it is written
as it is. The file is UTF-8 with a byte-order mark, so spreadsheets read accents correctly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from deskline.integration.phonebook import NUMBER_KINDS
from deskline.store.models import PhonebookContact

HEADER = ("first_name", "last_name", "company", "email", *NUMBER_KINDS, "remark")
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]*$")


def guarded(value: str | None, *, phone: bool = False) -> str:
    text = value or ""
    if phone and _PLAIN_PHONE.match(text):
        return text
    return "'" + text if text.startswith(_FORMULA_START) else text


def contacts_csv(contacts: Iterable[PhonebookContact]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for contact in contacts:
        numbers = contact.numbers or {}
        writer.writerow(
            [
                guarded(contact.first_name),
                guarded(contact.last_name),
                guarded(contact.company),
                guarded(contact.email),
                *(guarded(str(numbers.get(kind) or ""), phone=True) for kind in NUMBER_KINDS),
                guarded(contact.remark),
            ]
        )
    return BOM + out.getvalue()
