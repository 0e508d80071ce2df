"""The opinion map's arithmetic on small hand-made votes, where the right answer is
known: the groups, Polis's consensus and representativeness formulas, the threshold,
moderation, and labels that stay put across recomputations."""

import math

import pytest

from sessions_app.opinion.groups import Z_90, opinion_map

A, B = ["a1", "a2", "a3"], ["b1", "b2", "b3"]
SPLIT = list(range(8))  # A agrees with 0-3 and disagrees with 4-7; B the other way round
SHARED = 8  # everyone agrees


def camps(extra=()):
    votes = []
    for person in A + B:
        for s in SPLIT:
            agrees = (s < 4) == (person in A)
            votes.append((person, s, 1 if agrees else -1))
        votes.append((person, SHARED, 1))
    return votes + list(extra)


def stats(found, statement):
    return next(s for s in found.statements if s.statement == statement)


def test_two_camps_become_two_groups_with_the_shared_statement_as_consensus():
    found = opinion_map(camps(), statements=[*SPLIT, SHARED])
    assert found.reason == "" and len(found.groups) == 2
    groups = {frozenset(g.members) for g in found.groups}
    assert groups == {frozenset(A), frozenset(B)}
    # Group-aware consensus: the product of each group's smoothed agree rate.
    assert stats(found, SHARED).consensus_agree == pytest.approx((4 / 5) * (4 / 5))
    assert stats(found, 0).consensus_agree == pytest.approx((4 / 5) * (1 / 5))
    assert found.consensus(1)[0].statement == SHARED
    # Divisive: the spread of the groups' smoothed agree rates.
    assert stats(found, 0).divisiveness == pytest.approx(4 / 5 - 1 / 5)
    assert stats(found, SHARED).divisiveness == 0
    assert found.divisive(1)[0].statement in SPLIT
    counts = stats(found, 0)
    assert (counts.agree, counts.disagree, counts.passed) == (3, 3, 0)
    label_a = found.labels["a1"]
    assert counts.by_group[label_a] == (3, 0, 0)


def test_representative_statements_follow_polis_formulas():
    found = opinion_map(camps(), statements=[*SPLIT, SHARED])
    group_a = next(g for g in found.groups if "a1" in g.members)
    first = {r.statement: r for r in group_a.representative}
    # Statement 0 for A: 3 of 3 agree, 0 of 3 elsewhere.
    rep = first[0]
    assert rep.direction == "agree"
    assert rep.rate == pytest.approx(4 / 5) and rep.rest_rate == pytest.approx(1 / 5)
    assert rep.ratio == pytest.approx(4.0)
    assert rep.rate_z == pytest.approx(2 * math.sqrt(4) * (4 / 4 - 0.5))
    pooled = 5 / 8
    expected = (4 / 4 - 1 / 4) / math.sqrt(pooled * (1 - pooled) * (1 / 4 + 1 / 4))
    assert rep.ratio_z == pytest.approx(expected)
    assert rep.metric == pytest.approx(rep.ratio * rep.ratio_z * rep.rate * rep.rate_z)
    assert rep.rate_z > Z_90 and rep.ratio_z > Z_90
    # Statement 4 for A: a shared disagreement is what represents them there.
    assert first[4].direction == "disagree"
    # What everyone agrees on represents nobody.
    assert SHARED not in first
    assert len(group_a.representative) == 5  # at most five per group, best first
    metrics = [r.metric for r in group_a.representative]
    assert metrics == sorted(metrics, reverse=True)


def test_participants_are_placed_after_enough_votes_and_sparse_voters_keep_their_side():
    late = [("late", s, 1 if s < 4 else -1) for s in (0, 1, 4, 5, 6, 7)]  # six votes: A-like
    found = opinion_map(camps(late), statements=[*SPLIT, SHARED])
    assert found.threshold == 7
    assert "late" not in found.positions and found.votes_by_participant["late"] == 6
    more = [*late, ("late", 2, 1)]  # the seventh vote places them
    found = opinion_map(camps(more), statements=[*SPLIT, SHARED])
    assert found.labels["late"] == found.labels["a1"]
    # With three statements, three votes are enough.
    small = [(p, s, 1 if p in A else -1) for p in A + B for s in range(3)]
    assert opinion_map(small, statements=[0, 1, 2]).threshold == 3


def test_the_latest_vote_counts():
    changed = camps([("a1", SHARED, -1)])  # a1 changes their mind on the shared statement
    found = opinion_map(changed, statements=[*SPLIT, SHARED])
    shared = stats(found, SHARED)
    assert (shared.agree, shared.disagree) == (5, 1)


def test_hidden_statements_do_not_shape_the_map():
    # Everyone votes alike, except on statement 9, which splits A from B.
    votes = [(p, s, 1) for p in A + B for s in range(8)]
    votes += [(p, 9, 1 if p in A else -1) for p in A + B]
    shown = opinion_map(votes, statements=[*range(8), 9])
    assert {frozenset(g.members) for g in shown.groups} == {frozenset(A), frozenset(B)}
    hidden = opinion_map(votes, statements=[*range(8), 9], hidden=[9])
    assert hidden.groups == () and hidden.reason == "alike"
    assert len(hidden.positions) == 6  # still placed, just not told apart
    assert stats(hidden, 9).hidden and all(s.statement != 9 for s in hidden.consensus(10))


def test_too_few_participants_or_statements_give_no_map_and_say_why():
    few = [(p, s, 1) for p in ("x", "y", "z") for s in range(8)]
    assert opinion_map(few, statements=range(8)).reason == "participants"
    one = [(p, 0, 1) for p in A + B]
    assert opinion_map(one, statements=[0]).reason == "statements"


def test_labels_follow_the_previous_map():
    found = opinion_map(camps(), statements=[*SPLIT, SHARED])
    swapped = {p: 1 - label for p, label in found.labels.items()}
    again = opinion_map(camps(), statements=[*SPLIT, SHARED], previous=swapped)
    assert again.labels == swapped

    # The room grows: each camp to eight, everyone passing on a statement of their own
    # (so that no two sit on one point), and a third camp of eight appears, passing on
    # the split and agreeing on the shared statement. Old labels stay, the newcomers take
    # their camp's, the new camp the next free one. (Polis allows a third group from 12
    # base clusters on; here there are 24.)
    def member(person, camp, own):
        for s in SPLIT:
            if camp == "c":
                vote = 1 if s == own else 0
            else:
                vote = 0 if s == own else (1 if (s < 4) == (camp == "a") else -1)
            yield (person, s, vote)
        yield (person, SHARED, 1)

    room = [vote for camp in "abc" for n in range(8) for vote in member(f"{camp}{n + 1}", camp, n)]
    grown = opinion_map(room, statements=[*SPLIT, SHARED], previous=again.labels)
    assert grown.best_k == 3 and len(grown.groups) == 3, grown.silhouettes
    assert all(grown.labels[p] == again.labels[p] for p in A + B)
    assert {grown.labels[f"b{n}"] for n in range(1, 9)} == {again.labels["b1"]}
    assert {grown.labels[f"c{n}"] for n in range(1, 9)} == {2}


def three_camps():
    """Three camps of eight, each member passing on a statement of their own."""
    votes = []
    for camp in "abc":
        for n in range(8):
            for s in SPLIT:
                if camp == "c":
                    vote = 1 if s == n else 0
                else:
                    vote = 0 if s == n else (1 if (s < 4) == (camp == "a") else -1)
                votes.append((f"{camp}{n}", s, vote))
            votes.append((f"{camp}{n}", SHARED, 1))
    return votes


def test_every_number_of_groups_is_scored_and_a_new_one_waits_four_recomputations():
    """The silhouette of each k is reported beside the chosen one. A map that showed two
    groups shows three only once three has been the best four recomputations in a row
    (Polis's k smoother): one vote more does not redraw the map."""
    first = opinion_map(three_camps(), statements=[*SPLIT, SHARED])
    assert {2, 3} <= set(first.silhouettes)
    assert first.best_k == 3 == max(first.silhouettes, key=first.silhouettes.get)
    assert first.silhouette == first.silhouettes[3] and len(first.groups) == 3
    state = {"best": 2, "count": 9, "shown": 2}  # the map so far: two groups
    shown = []
    for _ in range(4):
        found = opinion_map(three_camps(), statements=[*SPLIT, SHARED], k_state=state)
        state = found.k_state
        shown.append((len(found.groups), found.best_k, state["count"]))
    assert shown == [(2, 3, 1), (2, 3, 2), (2, 3, 3), (3, 3, 4)]


def test_too_few_placed_says_how_many_more_votes_are_needed():
    """Nine statements, so seven votes place a participant. Three have seven or more; of
    the others, one has five and one has two: the fourth placed is two votes away."""
    votes = [(p, s, 1) for p, n in (("p", 7), ("q", 7), ("r", 5), ("s", 2)) for s in range(n)]
    votes += [("t", s, -1) for s in range(9)]  # a voter on every statement: nine columns
    found = opinion_map(votes, statements=[*SPLIT, SHARED])
    assert found.reason == "participants" and found.threshold == 7
    assert found.votes_needed == 2
    # Without t, two more must be placed: r's two votes and s's five.
    fewer = opinion_map([v for v in votes if v[0] != "t"], statements=[*SPLIT, SHARED])
    assert fewer.reason == "participants" and fewer.votes_needed == 2 + 5
