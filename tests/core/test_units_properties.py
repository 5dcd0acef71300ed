"""Invariants of the units engine, over many generated days (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from core.billing.methods import compute_units
from core.billing.units import CodeMinutes, units_for_minutes
from core.models import Method

TIMED = ["97110", "97112", "97116", "97140", "97530", "97535", "97035", "97032"]

minutes = st.integers(min_value=0, max_value=200)
days = st.lists(st.tuples(st.sampled_from(TIMED), minutes), min_size=1, max_size=8,
                unique_by=lambda pair: pair[0])


def bill(method, pairs):
    return compute_units([CodeMinutes(code=c, minutes=m) for c, m in pairs], method)


@given(days)
def test_medicare_total_units_follow_the_table_for_the_total(pairs):
    result = bill(Method.CMS, pairs)
    total = sum(m for _, m in pairs)
    assert result.timed_units == units_for_minutes(total)
    assert sum(result.units.values()) == result.timed_units


@given(days)
def test_medicare_gives_each_code_its_full_units_and_at_most_one_more(pairs):
    result = bill(Method.CMS, pairs)
    for code, m in pairs:
        units = result.units[code]
        assert m // 15 <= units <= m // 15 + 1
        if m % 15 == 0:
            assert units == m // 15


@given(days)
def test_every_tie_alternative_is_as_valid_as_the_choice(pairs):
    result = bill(Method.CMS, pairs)
    minutes = dict(pairs)
    for choice in result.tie_alternatives:
        assert sum(choice.values()) == result.timed_units
        assert all(minutes[c] // 15 <= u <= minutes[c] // 15 + 1 for c, u in choice.items())
        assert choice != result.units


@given(days)
def test_units_never_exceed_what_the_minutes_allow(pairs):
    total = sum(m for _, m in pairs)
    cms = bill(Method.CMS, pairs)
    # n units need at least 8 minutes for the first and 15 for each further one.
    assert cms.timed_units == 0 or 15 * (cms.timed_units - 1) + 8 <= total
    per_code = bill(Method.PER_CODE, pairs)
    for code, m in pairs:
        units = per_code.units[code]
        assert units == 0 or 15 * (units - 1) + 8 <= m


@given(days)
def test_per_code_units_never_pool(pairs):
    together = bill(Method.PER_CODE, pairs)
    for code, m in pairs:
        assert together.units[code] == bill(Method.PER_CODE, [(code, m)]).units[code]


@given(st.sampled_from(TIMED), minutes)
def test_both_methods_agree_on_a_single_code(code, m):
    assert bill(Method.CMS, [(code, m)]).units == bill(Method.PER_CODE, [(code, m)]).units


@given(days, st.data())
def test_adding_minutes_never_lowers_units(pairs, data):
    index = data.draw(st.integers(min_value=0, max_value=len(pairs) - 1))
    extra = data.draw(st.integers(min_value=1, max_value=60))
    more = [(c, m + extra if i == index else m) for i, (c, m) in enumerate(pairs)]
    assert bill(Method.CMS, more).timed_units >= bill(Method.CMS, pairs).timed_units
    before, after = bill(Method.PER_CODE, pairs).units, bill(Method.PER_CODE, more).units
    assert all(after[c] >= before[c] for c in before)


@given(days)
def test_pooling_gives_at_most_one_unit_per_code_more_than_full_blocks(pairs):
    cms = bill(Method.CMS, pairs)
    per_code = bill(Method.PER_CODE, pairs)
    full = sum(m // 15 for _, m in pairs)
    assert full <= cms.timed_units <= full + len(pairs)
    assert full <= per_code.timed_units <= full + len(pairs)


FAMILY_DAYS = st.lists(st.tuples(st.sampled_from([*TIMED, "97129", "97130", "97550", "97551",
                                                  "92626", "92627", "96105", "96125"]),
                                 minutes), min_size=1, max_size=10)


@given(FAMILY_DAYS, st.sampled_from(list(Method)))
def test_a_familys_first_code_never_bills_more_than_one_unit_a_date(pairs, method):
    result = bill(method, pairs)
    for first in ("97129", "97550", "92626"):
        assert result.units.get(first, 0) <= 1
    # minutes are never lost or made up by a family split
    assert sum(line.minutes or 0 for line in result.lines) == sum(m for _, m in pairs)


@given(FAMILY_DAYS)
def test_with_families_and_longer_units_the_total_never_exceeds_the_8_minute_table(pairs):
    result = bill(Method.CMS, pairs)
    assert result.timed_units <= units_for_minutes(result.total_timed_minutes)
    cognitive = sum(m for c, m in pairs if c in ("97129", "97130"))
    alone = bill(Method.CMS, [("97129", cognitive)]) if cognitive else None
    if alone is not None and len({c for c, _ in pairs}) == len(
            {c for c, _ in pairs if c in ("97129", "97130")}):
        # only cognitive intervention: the 8-minute table on its minutes, whatever the split
        assert result.timed_units == units_for_minutes(cognitive) == alone.timed_units
