"""Digest composition from plain data: no database, no Flask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.digests import composition as c

START = datetime(2026, 11, 23, tzinfo=UTC)
END = START + timedelta(days=7)

TAXONOMY = {
    "OP3d": c.ObligationInfo("OP3d", "Export and trans-shipment controls", None, 40),
    "OP3d.transit": c.ObligationInfo("OP3d.transit", "Transit controls", "OP3d", 1),
    "OP3d.catch_all": c.ObligationInfo("OP3d.catch_all", "Catch-all clause", "OP3d", 2),
    "OP3d.intangible": c.ObligationInfo("OP3d.intangible", "Intangible technology transfers", "OP3d", 3),
    "OP2": c.ObligationInfo("OP2", "Prohibitions in national law", None, 20),
    "OP2.financing": c.ObligationInfo("OP2.financing", "Financing offences", "OP2", 1),
}


def consultation(n: int, country: str = "XV", codes: tuple[str, ...] = ()) -> c.ConsultationInfo:
    return c.ConsultationInfo(n, f"Draft law {n}", country, {"XV": "Valdoria", "XM": "Meridia"}[country],
                              f"https://agora.example/consultations/{n}", START - timedelta(days=30),
                              END + timedelta(days=30), "law", codes)


def at(days: float) -> datetime:
    return START + timedelta(days=days)


def test_addressed_and_not_addressed_are_against_the_section_of_each_tagged_code():
    result = c.coverage(["OP3d.transit", "OP2"], TAXONOMY)
    assert [entry.code for entry in result] == ["OP2", "OP3d"]  # taxonomy order
    op2, op3d = result
    assert [o.code for o in op3d.addressed] == ["OP3d.transit"]
    assert [o.code for o in op3d.not_addressed] == ["OP3d.catch_all", "OP3d.intangible"]
    assert op2.whole_section and op2.addressed == [] and op2.not_addressed == []  # no guessing at gaps


def test_unknown_codes_are_ignored_and_nothing_is_a_score():
    result = c.coverage(["OP9.unknown"], TAXONOMY)
    assert result == []
    item = c.build_digest([c.Event(c.OPENED, at(1), consultation(1, codes=("OP3d.transit",)))], TAXONOMY,
                          period_start=START, period_end=END).groups[0].items[0]
    assert not any("score" in name or "percent" in name for name in vars(item))


def test_grouped_by_country_newest_first_each_consultation_once():
    valdoria_old, valdoria_new, meridia = consultation(1), consultation(2), consultation(3, "XM")
    events = [
        c.Event(c.OPENED, at(1), valdoria_old),
        c.Event(c.FORWARDED, at(2), valdoria_old, number=1, comments=12, organisations=5),
        c.Event(c.FORWARDED, at(2.5), valdoria_old, number=1, comments=12, organisations=5),  # same news twice
        c.Event(c.NEW_VERSION, at(3), valdoria_new, number=2, change_note="Article 4 revised"),
        c.Event(c.CLOSING, at(6), meridia),
    ]
    content = c.build_digest(events, TAXONOMY, period_start=START, period_end=END)
    assert [g.country_code for g in content.groups] == ["XM", "XV"]  # Meridia's news is the newest
    valdoria = content.groups[1]
    assert [i.consultation.id for i in valdoria.items] == [2, 1]
    first = valdoria.items[1]
    assert [e.kind for e in first.events] == [c.FORWARDED, c.OPENED]  # forwarded summaries lead
    assert first.forwarded.at == at(2.5) and first.forwarded.comments == 12
    assert content.item_count == 3 and content.titles == ["Draft law 3", "Draft law 2", "Draft law 1"]


def test_events_outside_the_period_and_empty_periods_give_an_empty_digest():
    events = [c.Event(c.OPENED, START - timedelta(seconds=1), consultation(1)),
              c.Event(c.OPENED, END, consultation(2))]
    content = c.build_digest(events, TAXONOMY, period_start=START, period_end=END)
    assert content.is_empty and content.item_count == 0
    assert c.build_digest([], TAXONOMY, period_start=START, period_end=END).is_empty


def test_periods_are_the_last_complete_hour_day_or_iso_week():
    now = datetime(2026, 11, 26, 14, 35, tzinfo=UTC)  # a Thursday
    assert c.period_for("immediate", now) == ("H2026-11-26T13", datetime(2026, 11, 26, 13, tzinfo=UTC),
                                              datetime(2026, 11, 26, 14, tzinfo=UTC))
    assert c.period_for("daily", now) == ("D2026-11-25", datetime(2026, 11, 25, tzinfo=UTC),
                                          datetime(2026, 11, 26, tzinfo=UTC))
    key, start, end = c.period_for("weekly", now)
    assert (key, start, end) == ("W2026-47", datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    assert c.period_for("weekly", now + timedelta(days=3))[0] == "W2026-47"  # same week, same key
    assert c.period_for("weekly", datetime(2026, 11, 30, 0, 1, tzinfo=UTC))[0] == "W2026-48"
