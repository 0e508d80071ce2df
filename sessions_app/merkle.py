"""A Merkle tree over a process's transparency log, in the shape Certificate Transparency
uses (RFC 6962 section 2.1, RFC 9162 section 2.1), and signed tree heads.

This module imports neither Django nor the database, so a stand-alone verifier can use it.

Leaves. Every log entry is one leaf, in ``seq`` order. What goes into a leaf is the entry's
SHA-256 hash (the ``hash`` field, see ``sessions_app.logchain``) as its 32 raw bytes, not as
hex text. The hash of a leaf is ``SHA-256(0x00 || those 32 bytes)``.

Interior nodes. A node over a left and a right child is ``SHA-256(0x01 || left || right)``.
The two prefixes keep a leaf from ever passing for an interior node or the other way round.

The tree's root (the Merkle Tree Hash, MTH) of ``n`` leaves: for no leaves it is the SHA-256
of nothing (``e3b0c442...b855``); for one leaf it is that leaf's hash; for more, the leaves
are split at ``k``, the largest power of two below ``n``: the first ``k`` leaves form the
left subtree, the rest the right one, and the root is the node over their two roots. So the
left part is always a complete (perfect) subtree, and every subtree that is not complete
runs to the last leaf.

Storage. ``MerkleTree`` hashes every complete subtree that starts at a multiple of its own
width once: level ``j`` holds the roots of leaves ``[i * 2**j, (i + 1) * 2**j)``. A tree of
any prefix of the leaves is made of such subtrees (one per set bit of its size, widest
first), and its root is found by folding them from the right: at most ``log2(n)`` look-ups
and as many hashes. Proofs (the RFC's ``PATH`` and ``PROOF``) need at most one subtree that
is not complete; all their other nodes are stored ones.

Hashes are lowercase hex strings wherever they enter or leave this module.

Signed tree heads. A tree head says "the log of ``process`` had ``size`` entries and root
``root`` at ``at``" (``at`` an ISO 8601 UTC time). It is signed with Ed25519 over the UTF-8
bytes of the canonical JSON (keys sorted, no whitespace, non-ASCII as itself) of::

    {"at": ..., "kind": "inspraak.tree-head", "process": ..., "root": ..., "size": ..., "v": 1}

Keys travel as standard base64 (with padding) of their raw 32 bytes; a key's id is the first
16 hex characters of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
TREE_HEAD_VERSION = 1
TREE_HEAD_KIND = "inspraak.tree-head"
TREE_HEAD_KEYS = frozenset({"process", "size", "root", "at", "key_id", "signature"})


def _hash_bytes(value: str, what: str) -> bytes:
    """The 32 bytes of a lowercase hex SHA-256 hash; ``ValueError`` for anything else."""
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32 or raw.hex() != value:
        raise ValueError(f"{what} must be 64 lowercase hex characters, not {value!r}")
    return raw


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def leaf_hash(entry_hash_hex: str) -> bytes:
    """The leaf hash of a log entry: SHA-256 of 0x00 and the entry hash's 32 raw bytes."""
    return hashlib.sha256(b"\x00" + _hash_bytes(entry_hash_hex, "an entry hash")).digest()


class MerkleTree:
    """The RFC 6962 tree over a log's entries, answering roots and proofs for the whole
    log and for every prefix of it (the log as it was at an earlier size)."""

    def __init__(self, leaf_hashes: Iterable[bytes]) -> None:
        """Hash every aligned complete subtree of the leaves (``leaf_hash`` values) once."""
        levels = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            below = iter(levels[-1])
            levels.append([_node(left, right) for left, right in zip(below, below, strict=False)])
        self._levels = levels

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaves (``leaf_hash`` values), hashing only the complete subtrees they
        finish: a log that grew is brought up to date without hashing it again."""
        self._levels[0].extend(leaf_hashes)
        level = 0
        while len(self._levels[level]) > 1:
            if level + 1 == len(self._levels):
                self._levels.append([])
            below, above = self._levels[level], self._levels[level + 1]
            for i in range(len(above), len(below) // 2):
                above.append(_node(below[2 * i], below[2 * i + 1]))
            level += 1

    @classmethod
    def from_entry_hashes(cls, entry_hashes: Iterable[str]) -> MerkleTree:
        """The tree over log entries given by their hashes (lowercase hex), in log order."""
        return cls(leaf_hash(value) for value in entry_hashes)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """The hash of leaf ``index``."""
        return self._levels[0][index]

    def _checked_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not _is_size(size) or size > self.size:
            raise ValueError(f"size must be an integer from 0 to {self.size}, not {size!r}")
        return size

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH of the leaves ``[start, end)``, for a non-empty range the RFC's splitting
        produces: ``start`` is a multiple of the smallest power of two >= ``end - start``.
        The range is then the stored complete subtrees given by the bits of its width,
        widest first, folded from the right."""
        pieces = []
        while start < end:
            level = (end - start).bit_length() - 1
            pieces.append(self._levels[level][start >> level])
            start += 1 << level
        root = pieces.pop()
        while pieces:
            root = _node(pieces.pop(), root)
        return root

    def root_hex(self, size: int | None = None) -> str:
        """The root of the first ``size`` leaves (all of them by default)."""
        size = self._checked_size(size)
        return self._subtree(0, size).hex() if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[str]:
        """RFC 6962 ``PATH(index, D[size])``: the audit path of leaf ``index`` in the tree of
        the first ``size`` leaves, nearest the leaf first."""
        size = self._checked_size(size)
        if not _is_size(index) or index >= size:
            raise ValueError(f"index must be an integer below the size {size}, not {index!r}")
        path = []
        start, end = 0, size
        while end - start > 1:
            middle = start + (1 << ((end - start - 1).bit_length() - 1))
            if index < middle:
                path.append(self._subtree(middle, end))
                end = middle
            else:
                path.append(self._subtree(start, middle))
                start = middle
        return [node.hex() for node in reversed(path)]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[str]:
        """RFC 6962 ``PROOF(old_size, D[new_size])``: the nodes that show the tree of the
        first ``new_size`` leaves extends that of the first ``old_size``. Empty when
        ``old_size`` is 0 or equals ``new_size``: there is nothing to prove."""
        new_size = self._checked_size(new_size)
        if not _is_size(old_size) or old_size > new_size:
            raise ValueError(f"old_size must be an integer from 0 to {new_size}, not {old_size!r}")
        if old_size == 0:
            return []
        proof = []
        start, end = 0, new_size
        old_root_known = True
        while end != old_size:
            middle = start + (1 << ((end - start - 1).bit_length() - 1))
            if old_size <= middle:
                proof.append(self._subtree(middle, end))
                end = middle
            else:
                proof.append(self._subtree(start, middle))
                start = middle
                old_root_known = False
        if not old_root_known:
            proof.append(self._subtree(start, end))
        return [node.hex() for node in reversed(proof)]


def _proof_bytes(proof: object) -> list[bytes] | None:
    """The proof's nodes as bytes, or None if it is not a list of lowercase hex hashes."""
    if not isinstance(proof, list | tuple):
        return None
    try:
        return [_hash_bytes(node, "a proof node") for node in proof]
    except ValueError:
        return None


def verify_inclusion(
    entry_hash_hex: str, index: int, size: int, proof: Sequence[str], root_hex: str
) -> bool:
    """Whether ``proof`` shows the entry at ``index`` is in the tree of ``size`` leaves with
    root ``root_hex`` (RFC 9162 section 2.1.3.2). False for malformed input."""
    nodes = _proof_bytes(proof)
    if nodes is None or not _is_size(index) or not _is_size(size) or index >= size:
        return False
    try:
        result = leaf_hash(entry_hash_hex)
        root = _hash_bytes(root_hex, "a root")
    except ValueError:
        return False
    fn, sn = index, size - 1
    for node in nodes:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = _node(node, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = _node(result, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    old_size: int, new_size: int, old_root_hex: str, new_root_hex: str, proof: Sequence[str]
) -> bool:
    """Whether ``proof`` shows the tree of ``new_size`` leaves with root ``new_root_hex``
    extends the tree of ``old_size`` leaves with root ``old_root_hex`` (RFC 9162 section
    2.1.4.2). False for malformed input. An empty old tree (its root must be the empty
    tree's) is extended by every tree, and a tree by itself; both with an empty proof."""
    nodes = _proof_bytes(proof)
    if nodes is None or not _is_size(old_size) or not _is_size(new_size) or old_size > new_size:
        return False
    try:
        old_root = _hash_bytes(old_root_hex, "the old root")
        new_root = _hash_bytes(new_root_hex, "the new root")
    except ValueError:
        return False
    if old_size == 0:
        return not nodes and old_root_hex == EMPTY_ROOT
    if old_size == new_size:
        return not nodes and old_root == new_root
    if not nodes:
        return False
    if old_size & (old_size - 1) == 0:
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = nodes[0]
    for node in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = _node(node, old_result)
            new_result = _node(node, new_result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            new_result = _node(new_result, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root


def _key_bytes(value: str, what: str) -> bytes:
    """The raw 32 bytes of a base64 Ed25519 key; ``ValueError`` for anything else."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != value:
        raise ValueError(f"{what} must be the standard base64 of 32 raw bytes")
    return raw


def generate_private_key_b64() -> str:
    """A new Ed25519 private key: its raw 32 bytes in standard base64."""
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode("ascii")


def _private_key(private_key_b64: str) -> Ed25519PrivateKey:
    raw = _key_bytes(private_key_b64, "an Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_b64(private_key_b64: str) -> str:
    """The public key of a private key, as the standard base64 of its raw 32 bytes."""
    public = _private_key(private_key_b64).public_key().public_bytes_raw()
    return base64.b64encode(public).decode("ascii")


def key_id(public_key_b64: str) -> str:
    """A public key's id: the first 16 hex characters of SHA-256 of its raw 32 bytes."""
    return hashlib.sha256(_key_bytes(public_key_b64, "an Ed25519 public key")).hexdigest()[:16]


def tree_head_payload(*, process: str, size: int, root: str, at: str) -> bytes:
    """The bytes a tree head's signature covers: its canonical JSON in UTF-8."""
    head = {
        "v": TREE_HEAD_VERSION,
        "kind": TREE_HEAD_KIND,
        "process": process,
        "size": size,
        "root": root,
        "at": at,
    }
    return json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _check_head_fields(process: object, size: object, root: object, at: object) -> None:
    if not isinstance(process, str) or not isinstance(at, str):
        raise ValueError("process and at must be strings")
    if not _is_size(size):
        raise ValueError(f"size must be a non-negative integer, not {size!r}")
    _hash_bytes(root, "root")


def sign_tree_head(
    private_key_b64: str, *, process: str, size: int, root: str, at: str
) -> dict[str, str | int]:
    """A tree head signed with an Ed25519 private key (standard base64 of its raw bytes)."""
    _check_head_fields(process, size, root, at)
    private_key = _private_key(private_key_b64)
    payload = tree_head_payload(process=process, size=size, root=root, at=at)
    public = base64.b64encode(private_key.public_key().public_bytes_raw()).decode("ascii")
    return {
        "process": process,
        "size": size,
        "root": root,
        "at": at,
        "key_id": key_id(public),
        "signature": base64.b64encode(private_key.sign(payload)).decode("ascii"),
    }


def verify_tree_head(head: dict, public_key_b64: str) -> bool:
    """Whether ``head`` (exactly the keys ``sign_tree_head`` gives) is signed by the key
    ``public_key_b64`` and names it by its id. False for any malformed input."""
    try:
        if not isinstance(head, dict) or head.keys() != TREE_HEAD_KEYS:
            return False
        process, size, root, at = head["process"], head["size"], head["root"], head["at"]
        _check_head_fields(process, size, root, at)
        if head["key_id"] != key_id(public_key_b64):
            return False
        signature = head["signature"]
        if not isinstance(signature, str):
            return False
        public_key = Ed25519PublicKey.from_public_bytes(
            _key_bytes(public_key_b64, "an Ed25519 public key")
        )
        public_key.verify(
            base64.b64decode(signature, validate=True),
            tree_head_payload(process=process, size=size, root=root, at=at),
        )
    except (TypeError, ValueError, InvalidSignature):
        return False
    return True
