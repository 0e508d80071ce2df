"""Our opinion groups against Polis's own on every conversation in ``tests/data/polis/``
(issue 20: ARI ≥ 0.85 on each): the two kept whole (``votes.csv`` in time order, as
``import_polis`` reads it; ``test_polis_import`` also imports them) and those kept as
Polis's vote matrix alone (``participants-votes.csv`` and the comments' moderation)."""

from pathlib import Path

from bench.opinion import matrix_conversation, polis_figures

DATA = Path(__file__).resolve().parents[1] / "data" / "polis"


def test_every_conversation_in_the_folder_agrees_with_polis():
    figures = {figure["conversation"]: figure for figure in polis_figures()}
    assert set(figures) == {folder.name for folder in DATA.iterdir() if folder.is_dir()}
    assert len(figures) >= 4
    for name, figure in figures.items():
        assert figure["ari"] >= 0.85, (name, figure)
        # (Nearly) everyone Polis grouped is grouped by us too, in as many groups.
        assert figure["compared"] >= 0.95 * figure["polis_grouped"], (name, figure)
        assert figure["groups"] == figure["polis_groups"], (name, figure)


def test_a_matrix_conversation_reads_votes_and_moderation(tmp_path):
    folder = tmp_path / "conversation"
    folder.mkdir()
    (folder / "participants-votes.csv").write_text(  # (as newer exports: with an xid)
        "participant,xid,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2\n"
        "0,,0,1,2,1,1,1,-1,\n"
        "1,,,0,1,0,0,,,0\n",
        encoding="utf-8",
    )
    (folder / "comments-moderation.csv").write_text(
        "comment-id,moderated\n0,1\n1,-1\n2,0\n3,-1\n", encoding="utf-8"
    )
    votes, statements, hidden = matrix_conversation(folder)
    assert votes == [(0, 0, 1), (0, 1, -1), (1, 2, 0)]
    assert statements == [0, 1, 2, 3]  # a comment without votes has no column, yet counts
    assert hidden == [1, 3]
