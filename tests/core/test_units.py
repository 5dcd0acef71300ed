"""billing-spec sections 3 to 5: every worked example, the table boundaries, ties, reasons."""

import pytest

from core.billing.methods import check_codes, compute_units
from core.billing.units import CodeMinutes, minutes_to_next_unit, unit_range, units_for_minutes
from core.catalog import CodeError, default_catalog
from core.models import Method


def bill(method: Method, *pairs: tuple[str, int | None], prefer: tuple[str, ...] = ()):
    items = [CodeMinutes(code=code, minutes=minutes) for code, minutes in pairs]
    return compute_units(items, method, prefer=prefer)


def acceptable(result) -> list[dict[str, int]]:
    """The chosen allocation of timed units plus every alternative the payer accepts."""
    chosen = {line.code: line.units for line in result.lines if line.timed}
    return [chosen, *result.tie_alternatives]


# billing-spec section 3: minutes -> units; a list of allocations means "any one of these".
CMS_EXAMPLES = [
    ([("97112", 24), ("97110", 23)], [{"97112": 2, "97110": 1}]),
    ([("97112", 20), ("97110", 20)], [{"97112": 2, "97110": 1}, {"97112": 1, "97110": 2}]),
    ([("97110", 33), ("97140", 7)], [{"97110": 2, "97140": 1}]),
    (
        [("97110", 18), ("97140", 13), ("97116", 10), ("97035", 8)],
        [{"97110": 1, "97140": 1, "97116": 1, "97035": 0}],
    ),
    ([("97140", 35), ("97035", 7)], [{"97140": 2, "97035": 1}]),
    ([("97140", 20), ("97110", 20)], [{"97140": 2, "97110": 1}, {"97140": 1, "97110": 2}]),
    (
        [("97110", 7), ("97112", 7), ("97116", 7)],
        [
            {"97110": 1, "97112": 0, "97116": 0},
            {"97110": 0, "97112": 1, "97116": 0},
            {"97110": 0, "97112": 0, "97116": 1},
        ],
    ),
    ([("97110", 7)], [{"97110": 0}]),
]


@pytest.mark.parametrize(("pairs", "allowed"), CMS_EXAMPLES)
def test_medicare_worked_examples(pairs, allowed):
    result = bill(Method.CMS, *pairs)
    assert sorted(map(sorted, (d.items() for d in acceptable(result)))) == sorted(
        map(sorted, (d.items() for d in allowed))
    )
    assert result.tie == (len(allowed) > 1)
    assert result.total_timed_minutes == sum(m for _, m in pairs)


def test_per_code_examples_from_the_spec():
    pooled = bill(Method.CMS, ("97110", 10), ("97116", 10))
    alone = bill(Method.PER_CODE, ("97110", 10), ("97116", 10))
    assert (pooled.timed_units, alone.timed_units) == (1, 2)
    assert alone.units == {"97110": 1, "97116": 1}
    assert bill(Method.PER_CODE, ("97110", 7), ("97112", 7), ("97116", 7)).timed_units == 0
    assert bill(Method.CMS, ("97110", 7), ("97112", 7), ("97116", 7)).timed_units == 1


SPEC_TABLE = [(8, 22, 1), (23, 37, 2), (38, 52, 3), (53, 67, 4), (68, 82, 5), (83, 97, 6),
              (98, 112, 7), (113, 127, 8)]


@pytest.mark.parametrize(("low", "high", "units"), SPEC_TABLE)
def test_the_table_of_section_3(low, high, units):
    for minutes in range(low, high + 1):
        assert units_for_minutes(minutes) == units
    assert unit_range(units) == (low, high)


@pytest.mark.parametrize(
    ("minutes", "units"),
    [(0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4),
     (127, 8), (128, 9), (142, 9), (143, 10)],
)
def test_boundaries_under_both_methods(minutes, units):
    assert bill(Method.CMS, ("97110", minutes)).timed_units == units
    assert bill(Method.PER_CODE, ("97110", minutes)).timed_units == units


@pytest.mark.parametrize(("minutes", "wait"), [(0, 8), (7, 1), (8, 15), (22, 1), (23, 15), (37, 1)])
def test_minutes_to_next_unit(minutes, wait):
    assert minutes_to_next_unit(minutes) == wait
    assert units_for_minutes(minutes + wait) == units_for_minutes(minutes) + 1
    assert units_for_minutes(minutes + wait - 1) == units_for_minutes(minutes)


def test_full_units_come_first_even_against_larger_left_overs():
    result = bill(Method.CMS, ("97110", 30), ("97140", 14))
    # 44 min -> 3 units; 97110 keeps its 2 full units, 97140 takes the left-over one.
    assert result.units == {"97110": 2, "97140": 1}


def test_a_code_without_left_over_minutes_never_gets_an_extra_unit():
    result = bill(Method.CMS, ("97110", 15), ("97140", 7), ("97112", 1))
    assert result.units == {"97110": 1, "97140": 1, "97112": 0}
    assert "no left-over minutes" in result.line("97110").why


def test_tie_goes_to_more_total_minutes_first():
    result = bill(Method.CMS, ("97112", 20), ("97110", 35))
    assert result.tie and result.units == {"97112": 1, "97110": 3}
    assert result.tie_alternatives == ({"97112": 2, "97110": 2},)


@pytest.mark.parametrize("first", ["97110", "97112"])
def test_tie_on_equal_minutes_goes_to_the_code_started_earlier(first):
    other = "97112" if first == "97110" else "97110"
    result = bill(Method.CMS, (first, 20), (other, 20))
    assert result.units == {first: 2, other: 1}
    assert set(result.tie_codes) == {first, other}


def test_therapist_may_pick_another_tied_code():
    result = bill(Method.CMS, ("97110", 20), ("97112", 20), prefer=("97112",))
    assert result.units == {"97110": 1, "97112": 2}
    assert "your pick" in result.line("97112").why
    assert result.tie_alternatives == ({"97110": 2, "97112": 1},)


def test_picking_a_code_that_is_not_tied_changes_nothing():
    plain = bill(Method.CMS, ("97110", 33), ("97140", 7))
    picked = bill(Method.CMS, ("97110", 33), ("97140", 7), prefer=("97110",))
    assert picked.units == plain.units and not picked.tie


def test_tie_among_several_units_lists_every_combination():
    # 4 codes of 7 min: 28 min -> 2 units on any 2 of the 4: C(4,2) = 6 choices.
    codes = [("97110", 7), ("97112", 7), ("97116", 7), ("97140", 7)]
    result = bill(Method.CMS, *codes)
    choices = acceptable(result)
    assert len(choices) == 6
    assert all(sum(choice.values()) == 2 for choice in choices)
    assert len({tuple(sorted(c.items())) for c in choices}) == 6


def test_reasons_name_the_rule_an_auditor_checks():
    result = bill(Method.CMS, ("97110", 33), ("97140", 7))
    expected = "97140: 7 min; wins the 3rd unit over 97110's 3 left-over minutes"
    assert result.line("97140").why == expected
    assert "2 full units (30 min) + 3 left-over min" in result.line("97110").why
    assert "40 total timed min (38-52) give 3 timed units" in result.summary
    under = bill(Method.CMS, ("97110", 7))
    assert "under 8" in under.line("97110").why


def test_untimed_codes_bill_one_unit_and_count_only_as_treatment_minutes():
    for method in Method:
        result = bill(method, ("97110", 20), ("97161", 45), ("G0283", None))
        assert result.units == {"97110": 1, "97161": 1, "G0283": 1}
        assert result.total_timed_minutes == 20
        assert result.total_treatment_minutes == 65
        assert result.timed_units == 1
        assert not result.line("97161").timed


def test_untimed_minutes_never_lift_timed_units():
    assert bill(Method.CMS, ("97110", 7), ("97161", 30)).timed_units == 0


def test_a_code_given_twice_adds_up():
    result = bill(Method.CMS, ("97110", 10), ("97140", 8), ("97110", 5))
    assert [line.code for line in result.lines] == ["97110", "97140"]
    assert result.line("97110").minutes == 15


def test_codes_are_case_insensitive():
    assert bill(Method.CMS, ("g0283", None)).units == {"G0283": 1}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("97110", None)], "97110 is a timed code"),
        ([("97532", 10)], "use 97129 or 97130"),
        ([("97127", 10)], "use 97129 or 97130"),
        ([("12345", 10)], "unknown code '12345'"),
    ],
)
def test_bad_codes_raise_a_message_naming_them(pairs, message):
    with pytest.raises(CodeError, match=message):
        check_codes([CodeMinutes(code=code, minutes=m) for code, m in pairs], default_catalog())


def test_a_recorded_code_no_longer_defined_is_shown_not_billed_and_named():
    """A custom code removed from settings: its minutes stay, it gets no unit, a warning says
    so, and the other codes are billed as if it were not there."""
    result = bill(Method.CMS, ("97110", 10), ("S9131", 30))
    line = result.line("S9131")
    assert (line.minutes, line.units, line.defined) == (30, 0, False)
    assert result.total_timed_minutes == 10 and result.timed_units == 1
    assert result.total_treatment_minutes == 10
    assert any("S9131 is not defined" in warning for warning in result.warnings)


def test_assistant_minutes_cannot_exceed_the_code_minutes():
    with pytest.raises(ValueError, match="assistant minutes 9 exceed"):
        CodeMinutes(code="97110", minutes=8, assistant_minutes=9)


def test_warning_when_timed_minutes_give_no_unit():
    assert bill(Method.CMS, ("97110", 7)).warnings == (
        "7 timed minutes but 0 billable timed units: under 8 minutes",
    )
    assert bill(Method.CMS, ("97110", 8)).warnings == ()


def test_medicare_status_warnings_follow_the_payers_medicare_flag_not_its_method():
    codes = [CodeMinutes(code=c) for c in ("97010", "97014", "97026", "97012")]
    for method in Method:
        warnings = compute_units(codes, method, medicare=True).warnings
        assert any("97010 is bundled" in w and "left off the claim" in w for w in warnings)
        assert any("97014 is not valid for Medicare" in w and "G0283" in w for w in warnings)
        assert any("97026 is restricted" in w for w in warnings)
        assert not any("97012" in w for w in warnings)
        assert compute_units(codes, method, medicare=False).warnings == ()
    # without a payer (the units calculator), the Medicare method means a Medicare payer
    assert compute_units(codes, Method.CMS).warnings == compute_units(
        codes, Method.CMS, medicare=True).warnings
    assert compute_units(codes, Method.PER_CODE).warnings == ()


@pytest.mark.parametrize(("code", "words"), [
    ("97169", "not covered by Medicare (status N)"),
    ("97039", "priced by the Medicare contractor (status C)"),
    ("G0151", "excluded from the Medicare fee schedule by law (status X)"),
    ("G0157", "by regulation (status E)"),
    ("97545", "restricted by Medicare (status R)"),
])
def test_every_medicare_status_letter_is_named(code, words):
    entry = default_catalog().get(code)
    item = CodeMinutes(code=code, minutes=30 if entry.timed else None)
    assert any(words in w for w in compute_units([item], Method.CMS).warnings)
