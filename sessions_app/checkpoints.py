"""Signed tree heads: the log of each process as a Merkle tree (``sessions_app.merkle``),
its root signed with the installation's Ed25519 key, so that anyone who kept a head can
later prove the log was only ever appended to (Certificate Transparency's idea, RFC 6962
and 9162).

The key comes from ``settings.SIGNING_KEY`` (standard base64 of a raw 32-byte Ed25519
private key; ``manage.py signing_key`` makes one). Without it, a key is derived from
``SECRET_KEY``, which is fine for a demo and changes whenever that secret does.

Trees are kept per process in memory and grown with the log (only new entries are hashed),
so a head or a proof costs a read of the entries since the last one.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions_app import merkle
from sessions_app.logchain import format_time
from sessions_app.models import LogEntry, Process, TreeHead

#: A new head is signed at most this often per process when pages ask for one.
HEAD_INTERVAL = timedelta(seconds=60)
#: Trees kept in memory (the most recently used processes).
TREES_KEPT = 16


@dataclass(frozen=True)
class SigningKey:
    private: str
    public: str
    key_id: str


@cache
def _key(configured: str, secret: str) -> SigningKey:
    private = (
        configured
        or base64.b64encode(
            hashlib.sha256(b"inspraak.signing-key:" + secret.encode()).digest()
        ).decode()
    )
    public = merkle.public_key_b64(private)
    return SigningKey(private, public, merkle.key_id(public))


def signing_key() -> SigningKey:
    """The installation's key (``ValueError`` when ``SIGNING_KEY`` is malformed)."""
    return _key(getattr(settings, "SIGNING_KEY", ""), settings.SECRET_KEY)


def public_key() -> dict:
    """The public half, as exports and pages publish it."""
    key = signing_key()
    return {"algorithm": "Ed25519", "public_key": key.public, "key_id": key.key_id}


# --- trees ---------------------------------------------------------------------------------

_trees: OrderedDict[int, merkle.MerkleTree] = OrderedDict()
_lock = threading.Lock()


def tree(process: Process, size: int) -> merkle.MerkleTree:
    """The tree of ``process``'s log with at least ``size`` entries, grown in place from
    the stored entries as needed (growing only appends nodes, so a proof being read for
    a smaller size meanwhile stays right). ``size`` must not exceed the stored log."""
    with _lock:
        found = _trees.pop(process.pk, None) or merkle.MerkleTree([])
        _trees[process.pk] = found
        while len(_trees) > TREES_KEPT:
            _trees.popitem(last=False)
        if found.size and not _same_leaf(process, found):
            # Not the log this tree was grown from (a test database rolled back, a
            # restored backup): start again.
            found = _trees[process.pk] = merkle.MerkleTree([])
        if found.size < size:
            found.extend(
                merkle.leaf_hash(h)
                for h in LogEntry.objects.filter(
                    process_id=process.pk, seq__gt=found.size, seq__lte=size
                )
                .order_by("seq")
                .values_list("hash", flat=True)
                .iterator(chunk_size=5000)
            )
            if found.size < size:
                raise LookupError(f"the log of {process.slug} has fewer than {size} entries")
    return found


def _same_leaf(process: Process, tree: merkle.MerkleTree) -> bool:
    last = (
        LogEntry.objects.filter(process_id=process.pk, seq=tree.size)
        .values_list("hash", flat=True)
        .first()
    )
    return last is not None and tree.leaf(tree.size - 1) == merkle.leaf_hash(last)


def trees_forget() -> None:
    """Drop the kept trees (tests; a log rewritten by hand would otherwise linger)."""
    with _lock:
        _trees.clear()


# --- heads ---------------------------------------------------------------------------------


def head_latest(process: Process) -> TreeHead | None:
    return TreeHead.objects.filter(process=process).order_by("-size").first()


def head_sign(process: Process, *, fresh: bool = True) -> TreeHead | None:
    """A signed head of the log as it is now: the latest head if it already covers the
    whole log (or, without ``fresh``, if it is younger than ``HEAD_INTERVAL``), else a new
    one. None for a log without entries."""
    size = Process.objects.filter(pk=process.pk).values_list("log_seq", flat=True).get()
    latest = head_latest(process)
    if latest is not None and (
        latest.size == size or (not fresh and timezone.now() - _parsed(latest.at) < HEAD_INTERVAL)
    ):
        return latest
    if size == 0:
        return None
    return head_keep(process, head_of_size(process, size))


def head_of_size(process: Process, size: int) -> dict:
    """A head of the first ``size`` entries, signed now (not stored)."""
    root = tree(process, size).root_hex(size)
    return merkle.sign_tree_head(
        signing_key().private,
        process=process.slug,
        size=size,
        root=root,
        at=format_time(timezone.now()),
    )


def head_keep(process: Process, signed: dict) -> TreeHead:
    """Store a signed head (``head_of_size``); the one already stored for its size wins."""
    try:
        with transaction.atomic():
            return TreeHead.objects.create(
                process=process,
                size=signed["size"],
                root=signed["root"],
                at=signed["at"],
                key_id=signed["key_id"],
                signature=signed["signature"],
            )
    except IntegrityError:  # another request signed this size first
        return TreeHead.objects.get(process=process, size=signed["size"])


def heads_upto(process: Process, size: int) -> list[dict]:
    """The stored heads of at most ``size`` entries, oldest first, as exports hold them."""
    return [
        head.as_json()
        for head in TreeHead.objects.filter(process=process, size__lte=size)
        .select_related("process")
        .order_by("size")
    ]


def _parsed(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def heads(process: Process, *, limit: int | None = None) -> list[TreeHead]:
    """Signed heads of ``process``, newest first."""
    found = TreeHead.objects.filter(process=process).order_by("-size")
    return list(found[:limit] if limit else found)


def heads_sign_all() -> int:
    """A fresh head for every process whose log grew since its last one (the daily tick);
    returns how many were signed."""
    signed = 0
    for process in Process.objects.order_by("pk"):
        latest = head_latest(process)
        if process.log_seq and (latest is None or latest.size < process.log_seq):
            head_sign(process)
            signed += 1
    return signed


def heads_verify(process: Process, hashes: list[str] | None = None) -> tuple[str, dict] | None:
    """Check the stored heads of ``process`` against its stored log, with a tree built
    afresh (not the kept one): each is signed by this installation's key and has the root
    of the log's first ``size`` entries. A log cut short or rewritten below a head fails
    here, even when its chain was hashed again. Returns the first problem as
    ``(code, details)`` (codes as ``exports.heads``), or None. ``hashes``: the stored
    entries' hashes in order, when already read."""
    key = signing_key()
    stored = list(TreeHead.objects.filter(process=process).order_by("size"))
    if not stored:
        return None
    if hashes is not None and stored[-1].size > len(hashes):
        hashes = None  # a head signed since the entries were read: read them again
    if hashes is None:
        hashes = (
            LogEntry.objects.filter(process=process)
            .order_by("seq")
            .values_list("hash", flat=True)
            .iterator(chunk_size=5000)
        )
    fresh = merkle.MerkleTree.from_entry_hashes(hashes)
    for head in stored:
        signed = {**head.as_json(), "process": process.slug}
        if head.key_id == key.key_id and not merkle.verify_tree_head(signed, key.public):
            return "bad_signature", {"size": head.size}
        if head.size > fresh.size:
            return "head_beyond_log", {"size": head.size, "count": fresh.size}
        if fresh.root_hex(head.size) != head.root:
            return "root_mismatch", {"size": head.size}
    return None
