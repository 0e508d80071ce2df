"""Checks of an export's signed tree heads, of one export against an older one (or a kept
head), and of a receipt, without the database: what ``verify_log`` runs on files.

Each check returns problems as ``(code, details)`` pairs; the command words them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessions_app import merkle
from sessions_app.identifiers import receipt_hash


def _tree(log: list[dict]) -> merkle.MerkleTree:
    return merkle.MerkleTree.from_entry_hashes(entry["hash"] for entry in log)


def key_of(data: dict) -> str | None:
    key = data.get("signing_key")
    return key.get("public_key") if isinstance(key, dict) else None


def heads_of(data: dict) -> list:
    """The signed heads a file holds: an export's ``tree_heads``, the public page's heads
    file (the same key), or one head saved on its own."""
    if isinstance(data.get("tree_heads"), list):
        return data["tree_heads"]
    if isinstance(data, dict) and {"size", "root", "signature"} <= data.keys():
        return [data]
    return []


def heads_check(data: dict, *, key: str | None = None) -> list[tuple[str, dict]]:
    """Every head in an export is signed by the key (``key``, or the one the export
    names) and has the root of the export's log at its size; the last one covers the
    whole log."""
    log, slug = data["log"], data["process"]["slug"]
    heads = heads_of(data)
    key = key or key_of(data)
    if not heads:
        return [("no_heads", {})] if log else []
    if not key:
        return [("no_key", {})]
    problems = []
    tree = _tree(log)
    for head in heads:
        if not merkle.verify_tree_head(head, key) or head.get("process") != slug:
            problems.append(("bad_signature", {"size": head.get("size")}))
        elif head["size"] > tree.size:
            problems.append(("head_beyond_log", {"size": head["size"], "count": tree.size}))
        elif tree.root_hex(head["size"]) != head["root"]:
            problems.append(("root_mismatch", {"size": head["size"]}))
    if heads[-1].get("size") != tree.size:
        problems.append(("last_head_short", {"size": heads[-1].get("size"), "count": tree.size}))
    return problems


def consistency_check(old: dict, new: dict, *, key: str | None = None) -> list[tuple[str, dict]]:
    """``new`` (an export) extends every head ``old`` holds (an export, a heads file or
    one head): each old head is validly signed, and a consistency proof from ``new``'s log
    takes its root to ``new``'s last head (RFC 9162, 2.1.4). A head on its own names its
    key by id only: ``new``'s key is used for it when its id is the one each old head
    names (a key with the same id is the same key)."""
    old_heads = heads_of(old)
    if not old_heads:
        return [("no_heads", {"which": "old"})]
    new_key = key_of(new)
    key = key or key_of(old)
    if not key and new_key and all(h.get("key_id") == merkle.key_id(new_key) for h in old_heads):
        key = new_key
    if not key:
        return [("no_key", {"which": "old"})]
    if new_key and new_key != key:
        return [("other_key", {"old": merkle.key_id(key), "new": merkle.key_id(new_key)})]
    new_heads = heads_of(new)
    if not new_heads or not merkle.verify_tree_head(new_heads[-1], key):
        return [("bad_signature", {"size": new_heads[-1].get("size") if new_heads else None})]
    last = new_heads[-1]
    tree = _tree(new["log"])
    if tree.size < last["size"] or tree.root_hex(last["size"]) != last["root"]:
        return [("root_mismatch", {"size": last["size"]})]
    problems = []
    for head in old_heads:
        if not merkle.verify_tree_head(head, key):
            problems.append(("bad_signature", {"size": head.get("size")}))
            continue
        if head["process"] != last["process"]:
            problems.append(("other_process", {"old": head["process"], "new": last["process"]}))
            continue
        if head["size"] > last["size"]:
            problems.append(("old_is_newer", {"size": head["size"], "count": last["size"]}))
            continue
        proof = tree.consistency_proof(head["size"], last["size"])
        if not merkle.verify_consistency(
            head["size"], last["size"], head["root"], last["root"], proof
        ):
            problems.append(("rewritten", {"size": head["size"]}))
    return problems


@dataclass(frozen=True)
class ReceiptFound:
    seq: int
    action: str
    data: dict
    proof: list[str]
    head: dict
    #: The answer's status in the export, and the answers or sheet it counts for.
    status: str | None


def receipt_find(data: dict, code: str, *, key: str | None = None) -> ReceiptFound | None:
    """The log entry of an export that holds ``code``'s receipt, with an inclusion proof
    checked against the export's last signed head; None when no entry holds it.
    ``ValueError`` when the head's signature or the proof does not hold."""
    wanted = receipt_hash(code)
    if not wanted:
        return None
    log = data["log"]
    index = next(
        (i for i, entry in enumerate(log) if entry.get("data", {}).get("receipt") == wanted), None
    )
    if index is None:
        return None
    entry = log[index]
    heads = heads_of(data)
    key = key or key_of(data)
    if not heads or not key or not merkle.verify_tree_head(heads[-1], key):
        raise ValueError("bad_signature")
    head = heads[-1]
    tree = _tree(log)
    if head["size"] > tree.size or index >= head["size"]:
        raise ValueError("head_beyond_log")
    proof = tree.inclusion_proof(index, head["size"])
    if not merkle.verify_inclusion(entry["hash"], index, head["size"], proof, head["root"]):
        raise ValueError("root_mismatch")
    status = None
    responses = entry["data"].get("responses") or [entry["data"].get("response")]
    found = {r["id"]: r["status"] for r in data.get("responses", []) if r["id"] in responses}
    if found:
        states = set(found.values())
        status = states.pop() if len(states) == 1 else "mixed"
    return ReceiptFound(entry["seq"], entry["action"], entry["data"], proof, head, status)
