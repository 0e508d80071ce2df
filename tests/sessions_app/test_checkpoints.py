"""Signed tree heads and receipts: a head on the public pages, in the feed and in every
export; a rewritten history caught by anyone who kept an earlier head; a participant's
receipt checked on the public page and offline against an export."""

import copy
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from sessions_app import checkpoints, merkle
from sessions_app.identifiers import receipt_hash, sheet_receipt
from sessions_app.logchain import GENESIS_HASH, entry_hash
from sessions_app.models import LogEntry, PaperSheet, Process, TreeHead
from sessions_app.services.processes import process_publish
from tests.paper_fixtures import option
from tests.sessions_app.test_open_data import _answer, _phone, town_hall  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(town_hall, organiser):  # noqa: F811
    """The open-data town hall, published, in English (``verify_log`` speaks the
    process's language; the language is no evidence)."""
    session, q = town_hall
    Process.objects.filter(pk=session.process_id).update(language="en")
    session.process.refresh_from_db()
    process_publish(user=organiser, process=session.process)
    return session, q


def export(process, path) -> dict:
    call_command("export_results", process.slug, "--format", "json", "-o", str(path))
    return json.loads(path.read_text(encoding="utf-8"))


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_log", *args, stdout=out, stderr=err)
    except CommandError as error:
        return f"FAILED {error}\n{err.getvalue()}"
    return out.getvalue()


def write(tmp_path, name: str, data: dict):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


# --- heads ---------------------------------------------------------------------------------


def test_an_export_holds_signed_heads_that_cover_its_log(hall, tmp_path):
    session, _q = hall
    data = export(session.process, tmp_path / "a.json")
    key = data["signing_key"]
    assert key["algorithm"] == "Ed25519" and key["key_id"] == checkpoints.signing_key().key_id
    last = data["tree_heads"][-1]
    assert last["size"] == len(data["log"]) == session.process.log_seq
    assert merkle.verify_tree_head(last, key["public_key"])
    tree = merkle.MerkleTree.from_entry_hashes(e["hash"] for e in data["log"])
    assert tree.root_hex() == last["root"]
    # The export's head is kept and published afterwards.
    assert TreeHead.objects.filter(process=session.process, size=last["size"]).exists()
    out = run("--export", str(tmp_path / "a.json"))
    assert out.startswith(f"OK {session.process.slug}"), out


def test_a_forged_or_missing_head_in_an_export_is_named(hall, tmp_path):
    session, _q = hall
    data = export(session.process, tmp_path / "a.json")
    forged = copy.deepcopy(data)
    forged["tree_heads"][-1]["root"] = "0" * 64
    assert "has no valid signature" in run("--export", write(tmp_path, "f.json", forged))
    other = copy.deepcopy(data)
    other_key = merkle.generate_private_key_b64()
    other["signing_key"]["public_key"] = merkle.public_key_b64(other_key)
    out = run("--export", write(tmp_path, "k.json", other))
    assert "no valid signature" in out
    # A pinned key refuses a file that names its own key.
    pinned = run("--export", str(tmp_path / "a.json"), "--key", merkle.public_key_b64(other_key))
    assert pinned.startswith("FAILED")


def test_the_public_pages_and_the_feed_publish_the_latest_head(hall, client):
    session, _q = hall
    slug = session.process.slug
    page = client.get(reverse("public:log", args=[slug])).content.decode()
    head = checkpoints.head_latest(session.process)
    assert head.size == session.process.log_seq
    assert head.root in page and head.signature in page
    heads = client.get(reverse("public:heads", args=[slug])).json()
    public = heads["signing_key"]["public_key"]
    assert heads["tree_heads"] and all(
        merkle.verify_tree_head(h, public) for h in heads["tree_heads"]
    )
    feed = client.get(reverse("public:feed", args=[slug])).content.decode()
    assert "<inspraak:treeHead" in feed and head.root in feed


def _rewrite(data: dict, seq: int) -> dict:
    """What someone holding the database and the signing key can do: change an entry in
    the middle, hash the chain again from there, and sign new heads."""
    forged = copy.deepcopy(data)
    log = forged["log"]
    log[seq - 1]["data"] = {**log[seq - 1]["data"], "forged": True}
    prev = log[seq - 2]["hash"] if seq > 1 else GENESIS_HASH
    for entry in log[seq - 1 :]:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(
            process=forged["process"]["slug"],
            **{k: entry[k] for k in ("seq", "at", "actor", "action", "data", "prev")},
        )
    forged["integrity"]["process_log_head"] = forged["integrity"]["log_head"] = prev
    tree = merkle.MerkleTree.from_entry_hashes(e["hash"] for e in log)
    forged["tree_heads"] = [
        merkle.sign_tree_head(
            checkpoints.signing_key().private,
            process=h["process"],
            size=h["size"],
            root=tree.root_hex(h["size"]),
            at=h["at"],
        )
        for h in forged["tree_heads"]
    ]
    return forged


def test_a_later_export_must_extend_what_an_earlier_head_vouched_for(hall, tmp_path, client):
    session, q = hall
    process = session.process
    older = export(process, tmp_path / "old.json")
    kept = client.get(reverse("public:heads", args=[process.slug])).json()
    (tmp_path / "heads.json").write_text(json.dumps(kept), encoding="utf-8")
    # One head on its own names its key by id only: the newer export's key, with that id.
    (tmp_path / "head.json").write_text(json.dumps(kept["tree_heads"][-1]), encoding="utf-8")
    _answer(_phone(session, "room"), q["choice"], {"option": option(q["choice"], 2)})
    newer = export(process, tmp_path / "new.json")
    assert len(newer["log"]) > len(older["log"])
    for old in ("old.json", "heads.json", "head.json"):
        out = run("--consistency", str(tmp_path / old), str(tmp_path / "new.json"))
        assert out.startswith("OK ") and "\nCONSISTENT: " in out, out
    # History rewritten below the old head: the forged file verifies on its own ...
    forged = write(tmp_path, "forged.json", _rewrite(newer, 5))
    assert run("--export", forged).startswith("OK ")
    # ... but not against what was kept earlier.
    for old in ("old.json", "heads.json", "head.json"):
        out = run("--consistency", str(tmp_path / old), forged)
        assert out.startswith("FAILED") and "rewritten" in out, out
    # A head naming another key's id is not checked with the newer export's key; the
    # file without a key is the one named.
    other = {**kept["tree_heads"][-1], "key_id": "0" * 16}
    out = run("--consistency", write(tmp_path, "other.json", other), str(tmp_path / "new.json"))
    assert out.startswith("FAILED") and "other.json: " in out and "--key" in out, out
    # An older file given as the newer one.
    assert "more than the newer" in run(
        "--consistency", str(tmp_path / "new.json"), str(tmp_path / "old.json")
    )


def test_a_log_cut_and_hashed_again_in_the_database_is_named(hall, tmp_path):
    """The head of the whole log was signed (an export); then the end of the log is cut
    and the process's head set back: the chain holds, the signed head does not."""
    session, _q = hall
    process = session.process
    export(process, tmp_path / "a.json")
    signed = checkpoints.head_latest(process).size
    cut = signed - 3
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sessions_app_logentry WHERE process_id = %s AND seq > %s",
            [process.pk, cut],
        )
    head = LogEntry.objects.get(process=process, seq=cut).hash
    Process.objects.filter(pk=process.pk).update(log_seq=cut, log_head=head)
    out = run(process.slug)
    assert "FAILED" in out and f"counts {signed} entries, the log holds {cut}" in out, out


# --- receipts ------------------------------------------------------------------------------


def test_a_receipt_is_checked_on_the_public_page(hall, client):
    session, q = hall
    phone = _phone(session, "room")
    first = _answer(phone, q["scale"], {"value": 2})
    url = reverse("public:check", args=[session.process.slug])
    page = client.post(url, {"code": first.receipt.lower()})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Your answer is in the log" in text and "counts in the published total" in text
    assert "Included in the signed log" in text
    # The signed time as a date, the signed text itself in the markup.
    assert re.search(r'signed <time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\d+ \w+ \d{4} ', text)
    # The answer changes: the first receipt says a later answer counts instead.
    second = _answer(phone, q["scale"], {"value": 5})
    assert (
        "your later answer counts instead"
        in client.post(url, {"code": first.receipt}).content.decode()
    )
    assert (
        "counts in the published total"
        in client.post(url, {"code": second.receipt}).content.decode()
    )
    # A wrong code or another process's code reveals nothing; none at all asks for one.
    for code in ("ABCD-EFGH-JKLM-NPQR", "x"):
        missing = client.post(url, {"code": code})
        assert missing.status_code == 404 and "Your answer" not in missing.content.decode()
    for code in ("", "   "):
        empty = client.post(url, {"code": code})
        assert empty.status_code == 400
        assert "Type the code from your receipt first." in empty.content.decode()


def test_the_receipt_proof_file_verifies_on_its_own(hall, client):
    session, q = hall
    result = _answer(_phone(session, "remote"), q["choice"], {"option": option(q["choice"], 1)})
    url = reverse("public:check", args=[session.process.slug])
    proof = client.post(url, {"code": result.receipt, "download": "1"}).json()
    assert proof["receipt_hash"] == receipt_hash(result.receipt)
    assert merkle.verify_tree_head(proof["tree_head"], proof["signing_key"]["public_key"])
    assert merkle.verify_inclusion(
        proof["entry_hash"],
        proof["leaf_index"],
        proof["tree_size"],
        proof["proof"],
        proof["tree_head"]["root"],
    )
    entry = LogEntry.objects.get(process=session.process, seq=proof["seq"])
    assert entry.hash == proof["entry_hash"] and result.receipt not in json.dumps(proof)


def test_receipt_checks_are_limited_per_address(hall, client):
    session, _q = hall
    url = reverse("public:check", args=[session.process.slug])
    codes = [client.post(url, {"code": "ABCD-EFGH-JKLM-NPQR"}).status_code for _ in range(31)]
    assert codes[:30] == [404] * 30 and codes[30] == 429


def test_a_receipt_is_checked_offline_against_an_export(hall, tmp_path):
    session, q = hall
    phone = _phone(session, "room")
    first = _answer(phone, q["choice"], {"option": option(q["choice"], 0)})
    _answer(phone, q["choice"], {"option": option(q["choice"], 2)})
    path = tmp_path / "a.json"
    export(session.process, path)
    out = run("--export", str(path), "--receipt", first.receipt)
    assert "RECEIPT OK" in out and "replaced by a later answer" in out, out
    assert "No answer in this export" in run("--export", str(path), "--receipt", "ABCDEFGHJKLMNPQR")
    assert "needs --export" in run("--receipt", first.receipt)


def test_the_plain_form_shows_the_receipt_once(hall, client):
    session, q = hall
    client.get(reverse("participate:join", args=[session.join_code]))
    client.post(reverse("participate:join", args=[session.join_code]))
    response = client.post(
        reverse("participate:answer", args=[session.join_code, q["scale"].pk]),
        {"form_id": "plain-form-0001", "value": "3"},
        follow=True,
    )
    text = response.content.decode()
    assert "Your receipt:" in text
    code = text.split("Your receipt: ")[1][:19]
    page = client.post(reverse("public:check", args=[session.process.slug]), {"code": code})
    assert page.status_code == 200 and "Your answer is in the log" in page.content.decode()


def test_a_paper_forms_receipt_is_its_strip(hall, client):
    session, q = hall
    sheet = PaperSheet.objects.get(session=session, state="counted")
    code = sheet_receipt(sheet.code)
    entry = LogEntry.objects.get(process=session.process, action="paper.counted")
    assert entry.data["receipt"] == receipt_hash(code) and code not in json.dumps(entry.data)
    page = client.post(reverse("public:check", args=[session.process.slug]), {"code": code})
    text = page.content.decode()
    assert page.status_code == 200 and "counts in the published total" in text
    assert q["scale"].text in text  # the form's answers, question by question
    # The sheet code printed on the form (and in the public log) is not a receipt.
    assert (
        client.post(
            reverse("public:check", args=[session.process.slug]), {"code": sheet.code}
        ).status_code
        == 404
    )


def test_the_receipt_limit_holds_across_a_minutes_turn():
    from sessions_app.receipts import CHECKS_PER_MINUTE, check_allowed

    turn = 1_800_000_000.0  # a whole minute
    allowed = [check_allowed("192.0.2.9", turn - 5 + i / 10) for i in range(CHECKS_PER_MINUTE)]
    assert all(allowed)
    assert not check_allowed("192.0.2.9", turn + 5)  # the next minute, 10 s later
    assert check_allowed("192.0.2.10", turn + 5)  # another address
    assert check_allowed("192.0.2.9", turn + 70)  # a minute later
