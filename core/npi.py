"""The National Provider Identifier: ten digits, the last a Luhn check digit computed over the
nine before it with the prefix 80840 (CMS, "Requirements for NPI check digit", NPS; ISO 7812).
"""

from __future__ import annotations

from functools import lru_cache

NPI_PREFIX = "80840"


def luhn_valid(digits: str) -> bool:
    """The Luhn check over a string of digits, its last one the check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@lru_cache(maxsize=64)  # every session is stamped with one of a few: read back by the thousand
def npi(text: str) -> str:
    """A typed NPI (outer blanks dropped) -> the NPI, or ValueError saying what is wrong with
    it, without echoing more than the digits count. Empty stays empty (an NPI is optional)."""
    cleaned = text.strip()
    if not cleaned:
        return ""
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError("an NPI is 10 digits, nothing else")
    if len(cleaned) != 10:
        raise ValueError(f"an NPI is 10 digits, not {len(cleaned)}")
    if not luhn_valid(NPI_PREFIX + cleaned):
        raise ValueError("that NPI's check digit is wrong (a typo?): its last digit is a "
                         "Luhn check over the other nine")
    return cleaned
