"""The opinion map's arithmetic, with numpy and scikit-learn and without Django.

From the latest vote of each participant on each statement (agree +1, disagree -1,
pass 0):

1. A matrix, one row per participant, one column per statement. Statements hidden by
   moderation become columns of zeros, so they do not shape the map (as in Polis, they
   still count as seen when a sparse voter's position is scaled).
2. Participants are placed once they have voted on at least min(7, statements) of the
   statements shown.
3. A missing vote is the statement's mean over the placed participants. PCA (scikit-learn)
   to two components; each participant's position is scaled by sqrt(statements ÷ their
   votes), so someone who voted on few statements is not pulled to the middle.
4. k-means (scikit-learn) for k from 2 to 5, keeping the k with the best silhouette.
5. Group labels follow the previous map's by overlap (Hungarian matching), so a
   recomputation does not swap colours on the projector.
6. Per statement: agree, disagree and pass counts in each group; group-aware consensus
   (the product over groups of the smoothed agree rate, (agree + 1) ÷ (votes + 2), and the
   same for disagree; zero unless every group voted on it); divisiveness (the spread of
   the smoothed agree rates of the groups that voted on it).
7. Per group, Polis's representativeness ("repness"): how much more the group agrees (or
   disagrees) than everyone else, with its two significance tests (a proportion test of
   the group's rate, a two-proportion test against the rest); a statement represents the
   group when both z-scores pass 90 % (z > 1.2816), ranked by ratio * test * rate * test.

``docs/opinion-map.md`` explains the choices and how they compare with Polis's own groups.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score

MIN_VOTES = 7
K_RANGE = range(2, 6)
#: Up to this many statements the PCA is exact (``PCA``'s covariance solver).
EXACT_PCA_MAX = 1000
#: Polis's two steps: this many base clusters (k-means on the positions) first, then
#: groups of base clusters, for k from 2 to at most 2 + (base clusters ÷ ``K_PER_BASE``).
BASE_K, K_PER_BASE = 100, 12
#: A new number of groups is taken once it has had the best silhouette this many
#: recomputations in a row (Polis's ``group-k-buffer``), so the map does not flip
#: between 2 and 3 groups with every vote.
K_BUFFER = 4
#: More groups are taken only when their silhouette beats fewer groups' by this much.
#: Polis's smoother keeps the number of groups a conversation started with (two: early
#: on there are too few base clusters for more) until another is best four updates
#: running; a map computed once, from a finished conversation, has no such history, and
#: this stands in for it. (Polis breaks an exact tie towards more groups.)
K_MARGIN = 0.05
#: z for a one-sided 90 % test, as Polis uses for representative statements.
Z_90 = 1.2816
REPRESENTATIVE_PER_GROUP = 5
#: The least spread of the groups' agree rates for a statement to count as divisive.
DIVISIVE_MIN = 0.2
#: Fewer placed participants than this: no groups (k-means needs k + 1 at least).
MIN_PARTICIPANTS = 4


@dataclass(frozen=True)
class Repness:
    statement: Hashable
    #: "agree" or "disagree": what the group does with it, more than the others.
    direction: str
    #: The group's smoothed rate of that vote, and the rest's.
    rate: float
    rest_rate: float
    ratio: float
    rate_z: float
    ratio_z: float
    metric: float

    @property
    def significant(self) -> bool:
        return self.rate_z > Z_90 and self.ratio_z > Z_90


@dataclass(frozen=True)
class Group:
    label: int
    members: tuple
    center: tuple[float, float]
    representative: tuple[Repness, ...]


@dataclass(frozen=True)
class StatementStats:
    statement: Hashable
    hidden: bool
    agree: int
    disagree: int
    passed: int
    #: label → (agree, disagree, pass) among the group's members
    by_group: dict[int, tuple[int, int, int]]
    consensus_agree: float
    consensus_disagree: float
    divisiveness: float


@dataclass(frozen=True)
class OpinionMap:
    #: participant → (x, y), for the placed participants
    positions: dict[Hashable, tuple[float, float]]
    #: participant → group label, for the placed participants (empty without groups)
    labels: dict[Hashable, int]
    groups: tuple[Group, ...]
    statements: tuple[StatementStats, ...]
    #: votes a participant needs to be placed
    threshold: int
    silhouette: float | None = None
    explained: tuple[float, ...] = ()
    #: why there is no map yet: "" when there is one
    reason: str = ""
    votes_by_participant: dict[Hashable, int] = field(default_factory=dict)
    #: k → the silhouette of the groups for that k (the chosen one among them)
    silhouettes: dict[int, float] = field(default_factory=dict)
    #: the number of groups that had the best silhouette this time (``silhouettes``)
    best_k: int | None = None
    #: Polis's k smoother, carried to the next recomputation: the k that was best last
    #: time, how many times in a row, and the k shown.
    k_state: dict = field(default_factory=dict)
    #: without groups for too few placed participants: the fewest more votes that would
    #: place enough of them (0 otherwise)
    votes_needed: int = 0

    def consensus(self, count: int = 5) -> list[StatementStats]:
        """Statements agreed across the groups, the most agreed first: those whose groups
        lean to agree on the whole (the geometric mean of their smoothed agree rates,
        the consensus's k-th root, above one half)."""
        k = max(1, len(self.groups))
        shown = [s for s in self.statements if not s.hidden and s.consensus_agree ** (1 / k) > 0.5]
        return sorted(shown, key=lambda s: -s.consensus_agree)[:count]

    def divisive(self, count: int = 5) -> list[StatementStats]:
        """Statements the groups disagree on most: the widest spread of their smoothed
        agree rates first, from ``DIVISIVE_MIN`` up."""
        shown = [s for s in self.statements if not s.hidden and s.divisiveness >= DIVISIVE_MIN]
        return sorted(shown, key=lambda s: -s.divisiveness)[:count]


def latest_votes(votes: Iterable[tuple[Hashable, Hashable, int]]) -> dict:
    """(participant, statement) → vote, the last one given winning."""
    found: dict = {}
    for participant, statement, vote in votes:
        found[(participant, statement)] = int(vote)
    return found


def opinion_map(
    votes: Iterable[tuple[Hashable, Hashable, int]],
    *,
    statements: Sequence[Hashable],
    hidden: Iterable[Hashable] = (),
    previous: Mapping[Hashable, int] | None = None,
    k_state: Mapping | None = None,
    seed: int = 0,
) -> OpinionMap:
    """The map of these votes (in the order given; a later vote on the same statement
    replaces an earlier one) over ``statements`` (all of the question's, ``hidden``
    among them). ``previous`` is the last map's labels, for stable colours and so that a
    participant once placed stays placed; ``k_state`` its ``OpinionMap.k_state``."""
    hidden = set(hidden)
    columns = list(statements)
    column_of = {s: j for j, s in enumerate(columns)}
    hidden_columns = np.array([s in hidden for s in columns], dtype=bool)
    latest = latest_votes(votes)
    people = list(dict.fromkeys(p for p, s in latest if s in column_of))
    row_of = {p: i for i, p in enumerate(people)}
    raw = np.full((len(people), len(columns)), np.nan)
    for (participant, statement), vote in latest.items():
        if statement in column_of:
            raw[row_of[participant], column_of[statement]] = max(-1, min(1, vote))
    shown = ~hidden_columns
    # As Polis: every vote counts towards being placed, on a hidden statement too, and
    # the statements are those with a vote.
    voted = (~np.isnan(raw)).sum(axis=1) if len(people) else np.zeros(0, int)
    with_votes = int((~np.isnan(raw)).any(axis=0).sum()) if len(people) else 0
    threshold = max(1, min(MIN_VOTES, with_votes))
    counts = {p: int(voted[i]) for i, p in enumerate(people)}
    placed = (voted >= threshold) | np.array([p in (previous or {}) for p in people], bool)
    empty = OpinionMap({}, {}, (), (), threshold, votes_by_participant=counts)
    if shown.sum() < 2:
        return _with_stats(empty, raw, columns, hidden_columns, people, {}, reason="statements")
    if placed.sum() < MIN_PARTICIPANTS:
        needed = _votes_needed(voted[~placed], int(placed.sum()), threshold)
        waiting = OpinionMap(
            {}, {}, (), (), threshold, votes_by_participant=counts, votes_needed=needed
        )
        return _with_stats(waiting, raw, columns, hidden_columns, people, {}, reason="participants")

    # The PCA is fitted on everyone who voted (as Polis), a missing vote being the
    # statement's mean; a hidden statement is a column of zeros for everyone.
    matrix = raw.copy()
    matrix[:, hidden_columns] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a statement nobody voted on
        means = np.nan_to_num(np.nanmean(matrix, axis=0, keepdims=True), nan=0.0)
    filled = np.where(np.isnan(matrix), means, matrix)
    placed_people = [p for p, keep in zip(people, placed, strict=True) if keep]
    if not np.any(np.ptp(filled[placed], axis=0) > 0):  # everyone voted alike: one point
        alike = OpinionMap(
            dict.fromkeys(placed_people, (0.0, 0.0)),
            {},
            (),
            (),
            threshold,
            votes_by_participant=counts,
        )
        return _with_stats(alike, raw, columns, hidden_columns, people, {}, reason="alike")
    # Exact from the covariance matrix while there are few statements; with thousands,
    # that matrix alone is too big (5,000 statements: 25 million cells, 20 s): then the
    # randomized solver's power iterations, as Polis's own are, from a fixed seed.
    solver = "covariance_eigh" if filled.shape[1] <= EXACT_PCA_MAX else "randomized"
    pca = PCA(n_components=2, svd_solver=solver, random_state=seed)
    coords = pca.fit_transform(filled)
    seen = (~np.isnan(matrix)).sum(axis=1)  # hidden columns are zeros: seen by everyone
    coords *= np.sqrt(len(columns) / np.maximum(seen, 1))[:, None]
    coords = np.nan_to_num(coords)[placed]
    positions = {p: (float(x), float(y)) for p, (x, y) in zip(placed_people, coords, strict=True)}

    clustered = _cluster(coords, k_state or {}, seed)
    if clustered is None:
        found = OpinionMap(
            positions, {}, (), (), threshold, explained=_explained(pca), votes_by_participant=counts
        )
        return _with_stats(found, raw, columns, hidden_columns, people, {}, reason="alike")
    labels, silhouettes, best_k, state = clustered
    labels = _stable(labels, placed_people, previous or {})
    by_person = dict(zip(placed_people, (int(x) for x in labels), strict=True))
    found = OpinionMap(
        positions,
        by_person,
        (),
        (),
        threshold,
        silhouette=silhouettes[state["shown"]],
        explained=_explained(pca),
        votes_by_participant=counts,
        silhouettes=silhouettes,
        best_k=best_k,
        k_state=state,
    )
    return _with_stats(found, raw, columns, hidden_columns, people, by_person, coords=coords)


def _votes_needed(unplaced: np.ndarray, placed: int, threshold: int) -> int:
    """The fewest more votes that place ``MIN_PARTICIPANTS`` participants: those closest
    to the threshold vote on; if there are too few of them, newcomers vote too."""
    short = sorted(int(threshold - n) for n in unplaced)
    wanted = max(0, MIN_PARTICIPANTS - placed)
    taken = short[:wanted]
    return sum(taken) + threshold * (wanted - len(taken))


def _explained(pca: PCA) -> tuple[float, ...]:
    return tuple(float(x) for x in np.nan_to_num(pca.explained_variance_ratio_))


def _first_distinct(points: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` distinct points, in order (Polis's start for its base clusters)."""
    _values, first = np.unique(np.round(points, 9), axis=0, return_index=True)
    return points[np.sort(first)[:k]]


def _cluster(coords: np.ndarray, k_state: Mapping, seed: int) -> tuple | None:
    """Polis's groups: ``BASE_K`` base clusters of the positions (k-means started from the
    first distinct positions), then k-means of the base clusters' centres weighted by
    their members, for each k from 2 up; the silhouette over the base clusters' centres
    picks k (the fewest groups within ``K_MARGIN`` of the best), and ``K_BUFFER`` smooths
    it across recomputations.
    Returns (the participants' groups, k → silhouette, the best k, the k state), or None
    when all the positions sit on one point (nothing to tell apart)."""
    start = _first_distinct(coords, BASE_K)
    if len(start) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        base = KMeans(n_clusters=len(start), init=start, n_init=1, max_iter=100).fit(coords)
    ids, base_of = np.unique(base.labels_, return_inverse=True)
    centres = np.array([coords[base_of == i].mean(axis=0) for i in range(len(ids))])
    weights = np.bincount(base_of)
    distinct = len(_first_distinct(centres, BASE_K))
    top = min(max(K_RANGE), 2 + len(centres) // K_PER_BASE)
    found: dict[int, tuple[float, np.ndarray]] = {}
    for k in range(min(K_RANGE), top + 1):
        if k > distinct:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            grouped = (
                KMeans(n_clusters=k, n_init=10, random_state=seed)
                .fit(centres, sample_weight=weights)
                .labels_
            )
        if len(set(grouped)) < 2:
            continue
        # A base cluster alone in its group scores 0 (as in Polis), so when every group
        # is one base cluster the silhouette is 0.
        score = float(silhouette_score(centres, grouped)) if k < len(centres) else 0.0
        found[k] = (score, grouped)
    if not found:
        return None
    # The fewest groups whose silhouette is within K_MARGIN of the best (see K_MARGIN).
    top = max(score for score, _labels in found.values())
    best = min(k for k, (score, _labels) in found.items() if score >= top - K_MARGIN)
    state = _smooth_k(best, k_state, set(found))
    silhouettes = {k: round(score, 4) for k, (score, _labels) in found.items()}
    return found[state["shown"]][1][base_of], silhouettes, best, state


def _smooth_k(best: int, previous: Mapping, available: set[int]) -> dict:
    """Polis's k smoother: the k shown changes once another k has been the best
    ``K_BUFFER`` times in a row; the first map shows its best k at once, and a k no longer
    possible (too few base clusters) gives way to the best."""
    count = int(previous.get("count", 0)) + 1 if previous.get("best") == best else 1
    shown = previous.get("shown")
    if shown is None or count >= K_BUFFER or shown not in available:
        shown = best
    return {"best": best, "count": count, "shown": int(shown)}


def _stable(labels: np.ndarray, people: list, previous: Mapping) -> np.ndarray:
    """Relabel clusters so each takes the previous label it shares most members with
    (an optimal one-to-one matching); the rest take the lowest labels left free."""
    clusters = sorted(set(int(x) for x in labels))
    old = sorted({int(previous[p]) for p in people if p in previous})
    mapping: dict[int, int] = {}
    if old:
        overlap = np.zeros((len(clusters), len(old)))
        index = {label: j for j, label in enumerate(old)}
        for person, label in zip(people, labels, strict=True):
            if person in previous:
                overlap[clusters.index(int(label)), index[int(previous[person])]] += 1
        rows, cols = linear_sum_assignment(-overlap)
        for r, c in zip(rows, cols, strict=True):
            if overlap[r, c] > 0:
                mapping[clusters[r]] = old[c]
    free = (n for n in range(len(clusters) + len(old) + 1) if n not in mapping.values())
    # Unmatched clusters, largest first, take the free labels in order.
    sizes = {c: int((labels == c).sum()) for c in clusters}
    for cluster in sorted(clusters, key=lambda c: (-sizes[c], c)):
        if cluster not in mapping:
            mapping[cluster] = next(free)
    return np.array([mapping[int(x)] for x in labels])


def _prop_z(successes: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Polis's one-proportion test against 1/2, with one pseudo-count added to each."""
    return 2 * np.sqrt(n + 1) * ((successes + 1) / (n + 1) - 0.5)


def _two_prop_z(s1: np.ndarray, n1: np.ndarray, s2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-proportion z-test, one pseudo-count added to every count (as Polis)."""
    s1, n1, s2, n2 = s1 + 1, n1 + 1, s2 + 1, n2 + 1
    p1, p2 = s1 / n1, s2 / n2
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 0, (p1 - p2) / spread, 0.0)


def _with_stats(
    found: OpinionMap,
    raw: np.ndarray,
    columns: list,
    hidden_columns: np.ndarray,
    people: list,
    labels: dict,
    *,
    reason: str = "",
    coords: np.ndarray | None = None,
) -> OpinionMap:
    """Fill in the statements' counts, consensus and divisiveness, and the groups with
    their representative statements."""
    agree = raw == 1
    disagree = raw == -1
    passed = raw == 0
    group_labels = sorted(set(labels.values()))
    rows = {
        label: np.array([labels.get(p) == label for p in people], dtype=bool)
        for label in group_labels
    }
    per_group = {
        label: (agree[mask].sum(axis=0), disagree[mask].sum(axis=0), passed[mask].sum(axis=0))
        for label, mask in rows.items()
    }
    statements = []
    for j, statement in enumerate(columns):
        by_group = {label: tuple(int(c[j]) for c in per_group[label]) for label in group_labels}
        # Only groups that voted on it speak for a statement: a group that never saw it
        # (paper forms printed before it was added) has no view, not a 50% one.
        voted = [(a, d, p) for a, d, p in by_group.values() if a + d + p]
        everyone = bool(by_group) and len(voted) == len(by_group)
        agree_rates = [(a + 1) / (a + d + p + 2) for a, d, p in voted]
        disagree_rates = [(d + 1) / (a + d + p + 2) for a, d, p in voted]
        statements.append(
            StatementStats(
                statement=statement,
                hidden=bool(hidden_columns[j]),
                agree=int(agree[:, j].sum()),
                disagree=int(disagree[:, j].sum()),
                passed=int(passed[:, j].sum()),
                by_group=by_group,
                consensus_agree=math.prod(agree_rates) if everyone else 0.0,
                consensus_disagree=math.prod(disagree_rates) if everyone else 0.0,
                divisiveness=(max(agree_rates) - min(agree_rates)) if len(voted) > 1 else 0.0,
            )
        )
    groups = []
    if group_labels and coords is not None:
        placed = [p for p in people if p in found.positions]
        for label in group_labels:
            members = tuple(p for p in placed if labels[p] == label)
            xy = np.array([found.positions[p] for p in members])
            groups.append(
                Group(
                    label=label,
                    members=members,
                    center=(float(xy[:, 0].mean()), float(xy[:, 1].mean())),
                    representative=_representative(label, per_group, columns, hidden_columns),
                )
            )
    return replace(found, groups=tuple(groups), statements=tuple(statements), reason=reason)


def _representative(label: int, per_group: dict, columns: list, hidden: np.ndarray) -> tuple:
    """The statements that set group ``label`` apart, Polis's way (see the module)."""
    na, nd, np_ = per_group[label]
    ns = na + nd + np_
    rest = [per_group[other] for other in per_group if other != label]
    rna = sum(r[0] for r in rest)
    rnd = sum(r[1] for r in rest)
    rns = sum(r[0] + r[1] + r[2] for r in rest)
    found = []
    for direction, n, rn in (("agree", na, rna), ("disagree", nd, rnd)):
        rate = (n + 1) / (ns + 2)
        rest_rate = (rn + 1) / (rns + 2)
        ratio = rate / rest_rate
        rate_z = _prop_z(n, ns)
        ratio_z = _two_prop_z(n, ns, rn, rns)
        for j, statement in enumerate(columns):
            if hidden[j] or ns[j] == 0:
                continue
            found.append(
                Repness(
                    statement=statement,
                    direction=direction,
                    rate=float(rate[j]),
                    rest_rate=float(rest_rate[j]),
                    ratio=float(ratio[j]),
                    rate_z=float(rate_z[j]),
                    ratio_z=float(ratio_z[j]),
                    metric=float(ratio[j] * ratio_z[j] * rate[j] * rate_z[j]),
                )
            )
    # One direction per statement: the one the group leans to more against the rest.
    best: dict = {}
    for rep in found:
        if rep.statement not in best or rep.ratio_z > best[rep.statement].ratio_z:
            best[rep.statement] = rep
    chosen = sorted((r for r in best.values() if r.significant), key=lambda r: -r.metric)
    return tuple(chosen[:REPRESENTATIVE_PER_GROUP])
