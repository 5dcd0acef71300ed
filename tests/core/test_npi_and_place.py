"""The NPI's check digit (Luhn over the prefix 80840 and the nine digits, as CMS specifies)
and the place of service codes (CMS's list, facility or not), checked against the rules
written out independently here."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from core.npi import npi
from core.place import Place, Telehealth, is_facility, is_telehealth_place, place_code
from core.settings import Settings


def cms_check_digit(nine: str) -> int:
    """CMS's own recipe: double every other digit from the rightmost of the nine, add all the
    digits and 24 (what the prefix 80840 adds), and the check digit tops it up to a ten."""
    total = 24
    for position, char in enumerate(reversed(nine)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def test_cms_example_npi_is_valid_and_blank_is_no_npi():
    assert npi("1234567893") == "1234567893"
    assert npi(" 1234567893 ") == "1234567893"
    assert npi("") == "" and npi("   ") == ""


@given(st.text("0123456789", min_size=9, max_size=9))
def test_exactly_the_cms_check_digit_makes_an_npi(nine):
    good = cms_check_digit(nine)
    assert npi(f"{nine}{good}") == f"{nine}{good}"
    for digit in set(range(10)) - {good}:
        with pytest.raises(ValueError, match="check digit"):
            npi(f"{nine}{digit}")


@pytest.mark.parametrize(("typed", "words"), [
    ("123456789", "10 digits, not 9"), ("12345678931", "10 digits, not 11"),
    ("12345-6789", "10 digits, nothing else"), ("\uff11" * 10, "nothing else"),
    ("1234567890", "check digit"),
])
def test_a_bad_npi_says_what_is_wrong(typed, words):
    with pytest.raises(ValueError, match=words):
        npi(typed)


def test_settings_refuse_a_bad_npi_by_name_and_keep_a_good_one():
    assert Settings(npi="1234567893").npi == "1234567893"
    with pytest.raises(ValidationError, match="npi"):
        Settings(npi="1234567894")


@pytest.mark.parametrize(("typed", "code"), [("11", "11"), (" 02", "02"), ("02", "02"),
                                             ("10", "10"), ("22 ", "22"), ("99", "99")])
def test_a_place_of_service_code_as_typed(typed, code):
    assert place_code(typed) == code


def test_an_empty_place_asks_for_one():
    with pytest.raises(ValueError, match="give a place of service code"):
        place_code("  ")


@pytest.mark.parametrize("typed", ["00", "28", "100", "1a", "\u0661\u0661", "11 office", "-1"])
def test_what_is_not_a_place_of_service_is_refused(typed):
    with pytest.raises(ValueError, match="not a place of service code"):
        place_code(typed)


@pytest.mark.parametrize("typed", ["1", " 2", "7"])
def test_one_digit_is_refused_not_guessed(typed):
    with pytest.raises(ValueError, match="two digits"):
        place_code(typed)


def test_numbers_in_settings_toml_are_read_as_their_digits():
    settings = Settings.model_validate({"npi": 1234567893, "place_of_service": 11})
    assert (settings.npi, settings.place_of_service) == ("1234567893", "11")
    for ambiguous in (1, 2, True):  # 01 or 11? 02 or 22? only quotes can say
        with pytest.raises(ValidationError, match="place_of_service"):
            Settings.model_validate({"place_of_service": ambiguous})


def test_facility_places_are_the_fee_schedules():
    assert all(is_facility(code) for code in ("02", "19", "21", "22", "23", "31"))
    assert not any(is_facility(code) for code in ("10", "11", "12", "49", "62"))
    assert [code for code in ("02", "10", "11") if is_telehealth_place(code)] == ["02", "10"]


def test_a_place_in_words_and_its_modifier():
    assert Place().words() == "office (POS 11)" and Place().modifiers == ()
    video = Place("10", Telehealth.VIDEO)
    assert video.words() == "telehealth by video (patient at home, POS 10)"
    assert video.modifiers == ("95",) and not video.facility
    audio = Place("02", Telehealth.AUDIO)
    assert audio.words() == "telehealth, audio only (patient not at home, POS 02)"
    assert audio.modifiers == ("93",) and audio.facility
    with pytest.raises(ValueError, match="two digits"):
        Place("2")
