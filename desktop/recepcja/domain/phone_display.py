"""Polish phone numbers for display without loading phonenumbers.

The day view shows the patients' numbers on its first paint, and importing phonenumbers costs
~20 ms of the cold start. A stored Polish number is nine digits after ``+48`` (``domain.phone``
normalises every number to E.164), and phonenumbers' metadata for Poland groups those by their
leading digits only; this module applies the same groups. Anything else (foreign numbers,
values that are not E.164) returns None, and ``domain.phone.format_phone`` asks phonenumbers.
A unit test compares the two for every three-digit prefix, so a metadata change shows up.
"""

from __future__ import annotations

import re

_POLISH = re.compile(r"\+48([0-9]{9})")
# PhoneMetadata "PL", number_format, in its order; the first whose leading digits match wins.
_THREE_THREE_THREE = re.compile(r"21|39|45|5[0137]|6[0469]|7[02389]|8(?:0[14]|8)")
_TWO_THREE_TWO_TWO = re.compile(r"1[2-8]|[2-7]|8[1-79]|9[145]")


def polish_national(e164: str) -> str | None:
    """``601 234 567`` / ``22 123 45 67`` for a nine-digit Polish number, else None."""
    match = _POLISH.fullmatch(e164)
    if match is None:
        return None
    digits = match.group(1)
    if _THREE_THREE_THREE.match(digits):
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if _TWO_THREE_TWO_TWO.match(digits):
        return f"{digits[:2]} {digits[2:5]} {digits[5:7]} {digits[7:]}"
    if digits.startswith("8"):  # (\d{3})(\d{3})(\d{3,4}): nine digits as 3 3 3
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits  # no format for these leading digits: phonenumbers leaves them ungrouped
