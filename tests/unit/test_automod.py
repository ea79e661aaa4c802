"""The automatic rules, without a database: each hold names its rule."""

from __future__ import annotations

import pytest

from app.moderation.automod import Hold, count_links, evaluate, matching_words, normalise


def _evaluate(text, **overrides):
    values = dict(earlier_published=5, new_account_limit=3, link_limit=3, watch_words=[], duplicate=False)
    values.update(overrides)
    return evaluate(text, **values)


def test_an_ordinary_comment_of_an_established_account_is_not_held():
    assert _evaluate("Article 4 should cover brokering by nationals abroad.") == []


@pytest.mark.parametrize(("published", "held"), [(0, True), (2, True), (3, False)])
def test_the_first_comments_of_a_new_account_are_held(published, held):
    holds = _evaluate("A fine comment.", earlier_published=published)
    assert (Hold("new_account", str(published + 1)) in holds) is held


def test_more_links_than_the_limit_are_held_with_the_count():
    text = " ".join(f"https://example.org/{n}" for n in range(4))
    assert _evaluate(text) == [Hold("links", "4")]
    assert _evaluate(" ".join(f"https://example.org/{n}" for n in range(3))) == []
    assert count_links("see www.example.org and [x](http://example.org/a) or mailto:a@b.org") == 2


def test_watch_words_match_whole_words_ignoring_case_and_width():
    assert matching_words("Details on SARIN production", ["sarin"]) == ["sarin"]
    assert matching_words("Ｓａｒｉｎ here", ["sarin"]) == ["sarin"]  # full-width letters
    assert matching_words("Sarinova Street", ["sarin"]) == []
    assert matching_words("the route  map of the depot", ["route map"]) == ["route map"]
    assert _evaluate("about sarin", watch_words=["sarin", "vx"]) == [Hold("watch_word", "sarin")]


def test_repeated_text_is_held():
    assert _evaluate("Same text", duplicate=True) == [Hold("duplicate")]


def test_several_rules_all_show():
    text = "sarin " + " ".join(f"http://x.org/{n}" for n in range(5))
    rules = [h.rule for h in _evaluate(text, earlier_published=0, watch_words=["sarin"])]
    assert rules == ["new_account", "links", "watch_word"]


def test_normalise():
    assert normalise("  Hello\n\tWORLD ") == "hello world"
