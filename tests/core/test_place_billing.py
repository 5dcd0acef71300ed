"""billing-spec section 12: fees at the facility or non-facility rate by place of service, 95/93
after GP/GO/GN and CQ/CO, claim rows that say where, how and by whom, pooled sessions that
differ."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.checks import CheckKind
from core.billing.day import bill_day
from core.billing.fees import estimate_fees
from core.billing.modifiers import DISCIPLINE_MODIFIER, ClaimLine, TherapyBucket
from core.billing.session import Terms, bill_session
from core.billing.summary import summarize_day
from core.billing.units import CodeMinutes
from core.catalog import Catalog, CatalogEntry, Rvu, default_catalog
from core.kinds import Discipline, FurnishedBy, Method
from core.models import PayerProfile, Segment
from core.place import OFFICE_VISIT, Place, Telehealth, places
from core.session import Session

CATALOG = default_catalog()
CF_2026 = Decimal("33.4009")
DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MEDICARE = PayerProfile(name="Medicare", method=Method.CMS, medicare=True)
COMMERCIAL = PayerProfile(name="Commercial", method=Method.PER_CODE)
NPI = "1234567893"  # CMS's example of a valid check digit
VIDEO_ELSEWHERE = Place("02", Telehealth.VIDEO)
VIDEO_HOME = Place("10", Telehealth.VIDEO)
HOSPITAL = Place("22")


def line(code, units=1, place=OFFICE_VISIT, assistant=False):
    return ClaimLine(code=code, minutes=None, units=units,
                     modifiers=("GP", "CQ") if assistant else ("GP",), assistant=assistant,
                     place=place)


@pytest.mark.parametrize(("code", "office", "facility"), [
    # PPRRVU 2026 totals x 33.4009, each to the cent as CMS rounds a unit
    ("97129", "22.38", "19.71"),  # 0.67 / 0.59 (PE 0.16 / 0.08)
    ("92610", "84.84", "57.78"),  # 2.54 / 1.73 (PE 1.23 / 0.42)
    ("92626", "84.17", "59.79"),  # 2.52 / 1.79 (PE 1.11 / 0.38)
    ("97110", "29.06", "29.06"),  # 0.87 both: most therapy codes pay the same
])
def test_a_facility_place_pays_the_facility_rvus_and_says_so(code, office, facility):
    rvu = CATALOG.get(code).rvus[2026].at(facility=True)
    assert Decimal(facility) == (rvu.total * CF_2026).quantize(Decimal("0.01"))
    for place in (OFFICE_VISIT, Place("12"), VIDEO_HOME):
        (fee,) = estimate_fees([line(code, place=place)], 2026).lines
        assert fee.allowed == Decimal(office), place
    for place in (VIDEO_ELSEWHERE, HOSPITAL, Place("19")):
        estimate = estimate_fees([line(code, place=place)], 2026)
        assert estimate.lines[0].allowed == Decimal(facility), place
        assert f"(facility rate, POS {place.pos})" in estimate.lines[0].why
        assert f"facility rate, POS {place.pos}" in estimate.source


def test_the_office_says_nothing_new_and_home_names_the_non_facility_rate():
    (office,) = estimate_fees([line("97129")], 2026).lines
    assert office.why == "1 x 0.67 RVU x 33.4009"
    (home,) = estimate_fees([line("97129", place=VIDEO_HOME)], 2026).lines
    assert home.why == "1 x 0.67 RVU x 33.4009 (non-facility rate, POS 10)"


def hypothetical(code, pe, pe_fac):
    """A code Medicare reduces whose facility practice expense differs (none of the shipped
    therapy codes with indicator 5 has one yet)."""
    work, mp = Decimal("0.50"), Decimal("0.10")
    return CatalogEntry(code=code, descriptor="test", timed=True, disciplines=(Discipline.PT,),
                        rvus={2026: Rvu(work=work, pe=Decimal(pe), mp=mp,
                                        total=work + Decimal(pe) + mp, mult_proc=5,
                                        pe_fac=Decimal(pe_fac),
                                        total_fac=work + Decimal(pe_fac) + mp)})


def test_the_multiple_procedure_reduction_uses_the_practice_expense_of_the_rate_paid():
    catalog = Catalog([hypothetical("X0001", "0.40", "0.10"),
                       hypothetical("X0002", "0.30", "0.30")],
                      conversion_factors={2026: Decimal(10)})
    office = estimate_fees([line("X0001"), line("X0002")], 2026, catalog=catalog)
    # X0001 has the higher non-facility PE: paid in full (1.00), X0002 with half its PE (0.75)
    assert [f.allowed for f in office.lines] == [Decimal("10.00"), Decimal("7.50")]
    facility = estimate_fees([line("X0001", place=HOSPITAL), line("X0002", place=HOSPITAL)],
                             2026, catalog=catalog)
    # at the facility rate X0002 has the higher PE (0.30 against 0.10): it is paid in full
    # (0.90), X0001 with half its facility PE (0.50 + 0.05 + 0.10)
    assert [f.allowed for f in facility.lines] == [Decimal("6.50"), Decimal("9.00")]
    assert "1 x 0.650 RVU (half practice expense" in facility.lines[0].why


def test_a_custom_code_without_facility_rvus_is_priced_at_its_one_rate_everywhere():
    rvu = Rvu(work=Decimal("1"), pe=Decimal("1"), mp=Decimal("0"), total=Decimal("2"))
    assert rvu.at(True) == rvu.at(False) == rvu
    with pytest.raises(ValueError, match="pair"):
        Rvu(work=Decimal("1"), pe=Decimal("1"), mp=Decimal("0"), total=Decimal("2"),
            pe_fac=Decimal("1"))


@given(st.sampled_from(sorted(places().names)), st.sampled_from(sorted(places().names)),
       st.lists(st.sampled_from(["97110", "97129", "92610", "97530", "97140", "92626"]),
                min_size=1, max_size=4), st.integers(1, 4))
def test_only_the_facility_side_of_a_place_changes_a_fee(one, other, codes, units):
    """Two places on the same side of Medicare's site-of-service differential price alike; a
    code whose two rates are equal prices alike everywhere."""
    def priced(pos):
        lines = [line(code, units, Place(pos)) for code in codes]
        return [fee.allowed for fee in estimate_fees(lines, 2026).lines]

    equal_rates = all(CATALOG.get(c).rvus[2026].pe == CATALOG.get(c).rvus[2026].pe_fac
                      for c in codes)
    if Place(one).facility == Place(other).facility or equal_rates:
        assert priced(one) == priced(other)


def bill(items, place, medicare=True, discipline=Discipline.PT):
    terms = Terms(method=Method.CMS, medicare=medicare)
    return bill_session(items, terms, discipline, DAY, CATALOG, place=place)


@pytest.mark.parametrize(("mode", "modifier"), [(Telehealth.VIDEO, "95"),
                                                (Telehealth.AUDIO, "93")])
def test_telehealth_goes_after_the_discipline_and_the_assistant_modifier(mode, modifier):
    # 97110: 10 min by the therapist, 20 by the assistant: a GP line and a GP-CQ line
    items = [CodeMinutes(code="97110", minutes=30, assistant_minutes=20)]
    claim = bill(items, Place("10", mode)).claim
    assert [line.modifiers for line in claim] == [("GP", modifier), ("GP", "CQ", modifier)]
    assert all(line.place == Place("10", mode) for line in claim)
    in_person = bill(items, OFFICE_VISIT).claim
    assert [line.modifiers for line in in_person] == [("GP",), ("GP", "CQ")]


@pytest.mark.parametrize("discipline", list(Discipline))
def test_every_payer_gets_the_telehealth_modifier(discipline):
    for medicare in (True, False):
        claim = bill([CodeMinutes(code="92507", minutes=30)], VIDEO_HOME, medicare,
                     discipline).claim
        assert [line.modifiers for line in claim] == [(DISCIPLINE_MODIFIER[discipline], "95")]


def session(patient="AB12", minute=0, payer=MEDICARE, place=OFFICE_VISIT, **stamped):
    opened = T0 + timedelta(minutes=minute)
    return Session(patient=patient, payer=payer, discipline=Discipline.PT, date_of_service=DAY,
                   opened_at=opened, closed_at=opened + timedelta(hours=1),
                   place_of_service=place.pos, telehealth=place.telehealth, **stamped)


def seg(s, code, minute, minutes, by=FurnishedBy.THERAPIST):
    start = T0 + timedelta(minutes=minute)
    return Segment(session_id=s.id, code=code, start=start, end=start + timedelta(minutes=minutes),
                   furnished_by=by)


def day(*pairs, ytd=None):
    return summarize_day(DAY, list(pairs), T0 + timedelta(hours=8), CATALOG,
                         ZoneInfo("America/New_York"), year_to_date=ytd)


def test_a_claim_row_says_where_how_and_by_whom_as_the_session_was_stamped():
    a = session(place=VIDEO_ELSEWHERE, therapist="Ann Lee, PT, DPT", npi=NPI,
                provider_code="ALEE")
    (row,) = day((a, [seg(a, "97129", 0, 15)])).rows
    assert (row.place_of_service, row.telehealth, row.therapist, row.npi, row.provider_code) == (
        "02", Telehealth.VIDEO, "Ann Lee, PT, DPT", NPI, "ALEE")
    assert row.modifiers == ("GP", "95") and row.allowed == Decimal("19.71")


def test_an_old_session_bills_in_the_office_in_person_with_no_provider():
    a = Session.model_validate({"patient": "AB12", "payer": MEDICARE.model_dump(),
                                "discipline": "PT", "date_of_service": "2026-03-02",
                                "opened_at": "2026-03-02T14:00:00Z"})
    (row,) = day((a, [seg(a, "97110", 0, 15)])).rows
    assert (row.place_of_service, row.telehealth, row.npi, row.modifiers) == (
        "11", None, "", ("GP",))


def test_a_patients_facility_and_office_lines_share_one_multiple_procedure_reduction():
    """The reduction spans the patient's Medicare lines of the date, each at its own rate."""
    pt = session(place=HOSPITAL)
    slp = session(minute=60, place=OFFICE_VISIT).model_copy(
        update={"discipline": Discipline.SLP})
    summary = day((pt, [seg(pt, "97110", 0, 30)]), (slp, [seg(slp, "92610", 60, 30)]))
    rows = {row.code: row for row in summary.rows}
    assert rows["97110"].place_of_service == "22" and rows["92610"].place_of_service == "11"
    assert rows["92610"].allowed == Decimal("84.84")  # indicator 0: never reduced


def test_telehealth_with_an_assistant_and_kx_stays_within_four_modifiers():
    a = session(place=VIDEO_HOME)
    summary = day((a, [seg(a, "97110", 0, 30, FurnishedBy.ASSISTANT)]),
                  ytd={("AB12", TherapyBucket.PT_SLP): Decimal("2480")})
    assert [row.modifiers for row in summary.rows] == [("GP", "CQ", "95", "KX")]


@pytest.mark.parametrize("first_place", [OFFICE_VISIT, VIDEO_HOME])
def test_pooled_sessions_at_different_places_go_out_under_the_first_and_say_so(first_place):
    other = VIDEO_HOME if first_place == OFFICE_VISIT else OFFICE_VISIT
    morning = session(place=first_place, therapist="Ann Lee, PT", npi=NPI)
    evening = session(minute=300, place=other, therapist="Ann Lee, PT", npi=NPI)
    summary = day((morning, [seg(morning, "97110", 0, 10)]),
                  (evening, [seg(evening, "97110", 300, 10)]))
    (row,) = summary.rows
    assert (row.place_of_service, row.telehealth) == (first_place.pos, first_place.telehealth)
    assert row.modifiers == ("GP", *first_place.modifiers)
    (check,) = [c for c in summary.checks if c.kind is CheckKind.POOLED_PLACES]
    assert set(check.session_ids) == {morning.id, evening.id}
    assert first_place.words() in check.message and other.words() in check.message
    assert "split the lines by hand" in check.message


def test_pooled_sessions_of_two_therapists_are_flagged_and_alike_ones_are_not():
    ann = session(therapist="Ann Lee, PT", npi=NPI)
    bob = session(minute=300, therapist="Bob Roe, PT")
    same = session(minute=400, therapist="Ann Lee, PT", npi=NPI)
    flagged = day((ann, [seg(ann, "97110", 0, 10)]), (bob, [seg(bob, "97110", 300, 10)]))
    (check,) = [c for c in flagged.checks if c.kind is CheckKind.POOLED_PLACES]
    assert "rendering therapist (Ann Lee, PT; Bob Roe, PT)" in check.message
    assert flagged.rows[0].therapist == "Ann Lee, PT"
    alike = day((ann, [seg(ann, "97110", 0, 10)]), (same, [seg(same, "97110", 400, 10)]))
    assert CheckKind.POOLED_PLACES not in [c.kind for c in alike.checks]


def test_a_closed_session_keeps_its_stored_units_and_bills_at_its_place():
    a = session(place=VIDEO_ELSEWHERE)
    stored = bill([CodeMinutes(code="97129", minutes=15)], OFFICE_VISIT).billing
    closed = a.model_copy(update={"billing": stored})
    billed = bill_day([(closed, [seg(closed, "97129", 0, 15)])], T0 + timedelta(hours=8),
                      CATALOG)
    (row,) = billed.rows
    assert (row.modifiers, row.allowed) == (("GP", "95"), Decimal("19.71"))


@given(st.sampled_from(list(Discipline)), st.sampled_from([None, *Telehealth]),
       st.lists(st.tuples(st.sampled_from(["97110", "97530", "97140", "92507", "97161"]),
                          st.integers(0, 90), st.integers(0, 90)), min_size=1, max_size=4,
                unique_by=lambda item: item[0]))
def test_a_line_is_discipline_then_assistant_then_telehealth(discipline, mode, recorded):
    items = [CodeMinutes(code=code, minutes=minutes + by_assistant,
                         assistant_minutes=by_assistant)
             for code, minutes, by_assistant in recorded]
    place = Place("10" if mode else "11", mode)
    for line in bill(items, place, discipline=discipline).claim:
        expected = (DISCIPLINE_MODIFIER[discipline], *(("CQ",) if line.assistant and
                    discipline is Discipline.PT else ("CO",) if line.assistant else ()),
                    *place.modifiers)
        assert line.modifiers == expected and line.place == place
