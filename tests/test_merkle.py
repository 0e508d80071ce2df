"""The Merkle tree and signed tree heads of ``sessions_app.merkle``, checked against a plain
recursive transcription of RFC 6962 section 2.1, the RFC's worked examples and published
test vectors. No database."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sessions_app import merkle
from sessions_app.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    generate_private_key_b64,
    key_id,
    leaf_hash,
    public_key_b64,
    sign_tree_head,
    tree_head_payload,
    verify_consistency,
    verify_inclusion,
    verify_tree_head,
)

# ---------------------------------------------------------------------------------------
# The reference: RFC 6962 section 2.1 written out as it reads, recursion and all.


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def ref_split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = ref_split(len(leaves))
    return ref_node(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = ref_split(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [ref_mth(leaves)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], complete), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def ref_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return ref_subproof(m, leaves, True)


# ---------------------------------------------------------------------------------------
# Test data.

ROOT = Path(__file__).resolve().parent.parent


def entry(i: int, salt: str = "") -> str:
    """A log entry's hash as the log stores it: lowercase hex."""
    return hashlib.sha256(f"entry {i}{salt}".encode()).hexdigest()


ENTRIES = [entry(i) for i in range(300)]
LEAVES = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in ENTRIES]


@cache
def tree(n: int) -> MerkleTree:
    return MerkleTree.from_entry_hashes(ENTRIES[:n])


def flip(hex_hash: str) -> str:
    """The same hash with its last bit flipped."""
    return hex_hash[:-1] + format(int(hex_hash[-1], 16) ^ 1, "x")


def path_shape(index: int, size: int) -> list[bool]:
    """For each step of RFC 9162's inclusion check, whether the proof node goes on the
    left; a proof binds the size only through this shape."""
    shape = []
    fn, sn = index, size - 1
    while sn:
        left = bool(fn & 1) or fn == sn
        shape.append(left)
        if left:
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    return shape


# ---------------------------------------------------------------------------------------
# Roots.


def test_leaf_hash_is_sha256_of_0x00_and_the_raw_entry_hash():
    value = entry(7)
    assert leaf_hash(value) == hashlib.sha256(b"\x00" + bytes.fromhex(value)).digest()


@pytest.mark.parametrize(
    "bad", ["", "ab", ENTRIES[0].upper(), ENTRIES[0] + "0", " " + ENTRIES[0][1:], None, 5]
)
def test_leaf_hash_rejects_anything_but_64_lowercase_hex(bad):
    with pytest.raises(ValueError, match="64 lowercase hex"):
        leaf_hash(bad)


def test_the_empty_tree_root_is_sha256_of_nothing():
    assert EMPTY_ROOT == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MerkleTree.from_entry_hashes([]).root_hex() == EMPTY_ROOT
    assert MerkleTree.from_entry_hashes([]).size == 0


def test_roots_equal_the_reference_for_every_size_up_to_300():
    for n in range(301):
        assert tree(n).size == n
        assert tree(n).root_hex() == ref_mth(LEAVES[:n]).hex(), n


def test_root_of_every_prefix_equals_the_reference():
    full = tree(300)
    for n in range(301):
        assert full.root_hex(n) == ref_mth(LEAVES[:n]).hex(), n


def test_a_tree_extended_piece_by_piece_equals_one_built_at_once():
    grown = MerkleTree([])
    start = 0
    for step in (1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 57):
        grown.extend(LEAVES[start : start + step])
        start += step
        assert grown.size == start
        assert grown.root_hex() == ref_mth(LEAVES[:start]).hex(), start
        assert grown.inclusion_proof(start - 1) == tree(start).inclusion_proof(start - 1)
    assert grown.consistency_proof(7) == tree(start).consistency_proof(7)


def test_small_trees_by_hand():
    a, b, c = LEAVES[:3]
    assert tree(1).root_hex() == a.hex()
    assert tree(2).root_hex() == hashlib.sha256(b"\x01" + a + b).hexdigest()
    ab = hashlib.sha256(b"\x01" + a + b).digest()
    assert tree(3).root_hex() == hashlib.sha256(b"\x01" + ab + c).hexdigest()


# The Certificate Transparency test vectors (transparency-dev/merkle, testonly/constants.go):
# eight leaf inputs, and the roots and complete-subtree hashes of the trees over them. Those
# inputs are not 32-byte entry hashes, so they go into the tree as leaf hashes.
CT_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
CT_INPUTS.append("606162636465666768696a6b6c6d6e6f")
CT_ROOTS = [
    EMPTY_ROOT,
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEVEL_0 = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
CT_LEVEL_1 = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
CT_LEVEL_2 = [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


CT_LEAVES = [hashlib.sha256(b"\x00" + bytes.fromhex(x)).digest() for x in CT_INPUTS]


def ct_tree() -> MerkleTree:
    return MerkleTree(CT_LEAVES)


def test_certificate_transparency_vectors():
    ct = ct_tree()
    assert [ct.root_hex(n) for n in range(9)] == CT_ROOTS
    assert [MerkleTree(CT_LEAVES[:n]).root_hex() for n in range(9)] == CT_ROOTS
    assert ct.inclusion_proof(0) == [CT_LEVEL_0[1], CT_LEVEL_1[1], CT_LEVEL_2[1]]
    assert ct.inclusion_proof(5) == [CT_LEVEL_0[4], CT_LEVEL_1[3], CT_LEVEL_2[0]]
    assert ct.consistency_proof(2) == [CT_LEVEL_1[1], CT_LEVEL_2[1]]
    assert ct.consistency_proof(4) == [CT_LEVEL_2[1]]


def test_the_worked_examples_of_rfc_6962_section_2_1_3():
    """RFC 6962 draws a tree of seven leaves d0..d6 with leaf hashes a..f (d0..d5) and j
    (d6), nodes g = (a, b), h = (c, d), i = (e, f), k = (g, h), l = (i, j), and lists some
    of its audit paths and consistency proofs. Here with the CT vectors' leaves."""
    ct = ct_tree()
    _, b, c, d, _, f, j = CT_LEVEL_0[:7]
    g, h, i = CT_LEVEL_1[:3]
    k = CT_LEVEL_2[0]
    l = ref_node(bytes.fromhex(i), bytes.fromhex(j)).hex()  # noqa: E741 (the RFC's name)
    assert ct.root_hex(7) == ref_node(bytes.fromhex(k), bytes.fromhex(l)).hex()
    assert ct.inclusion_proof(0, 7) == [b, h, l]
    assert ct.inclusion_proof(3, 7) == [c, g, l]
    assert ct.inclusion_proof(4, 7) == [f, j, k]
    assert ct.inclusion_proof(6, 7) == [i, k]
    assert ct.consistency_proof(3, 7) == [c, d, g, l]
    assert ct.consistency_proof(4, 7) == [l]
    assert ct.consistency_proof(6, 7) == [i, j, k]


def test_sizes_outside_the_tree_are_refused():
    with pytest.raises(ValueError, match="size must be"):
        tree(5).root_hex(6)
    with pytest.raises(ValueError, match="size must be"):
        tree(5).root_hex(-1)
    with pytest.raises(ValueError, match="index must be"):
        tree(5).inclusion_proof(5)
    with pytest.raises(ValueError, match="index must be"):
        tree(5).inclusion_proof(0, 0)
    with pytest.raises(ValueError, match="old_size must be"):
        tree(5).consistency_proof(4, 3)
    with pytest.raises(ValueError, match="size must be"):
        tree(5).consistency_proof(4, 6)


def test_roots_and_proofs_of_any_prefix_take_logarithmically_many_hashes(monkeypatch):
    """Only the nodes that are not stored are hashed: for a root, one per set bit of the
    size; for a proof, at most one subtree that is not complete."""
    big = MerkleTree(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(5000))
    calls = []

    def counted(left: bytes, right: bytes) -> bytes:
        calls.append(1)
        return ref_node(left, right)

    monkeypatch.setattr(merkle, "_node", counted)
    for size in range(1, 5001, 7):
        for work, arguments in (
            (big.root_hex, (size,)),
            (big.inclusion_proof, (7919 % size, size)),
            (big.inclusion_proof, (size - 1, size)),
            (big.consistency_proof, (1 + 104729 % size, size)),
            (big.consistency_proof, (size // 3 + 1, size)),
        ):
            calls.clear()
            work(*arguments)
            assert len(calls) < size.bit_count(), (work.__name__, arguments)


# ---------------------------------------------------------------------------------------
# Inclusion proofs.


def test_every_inclusion_proof_up_to_70_leaves_is_the_rfcs_and_verifies():
    full = tree(70)
    for size in range(1, 71):
        root = full.root_hex(size)
        assert root == tree(size).root_hex()
        for index in range(size):
            proof = full.inclusion_proof(index, size)
            assert proof == [node.hex() for node in ref_path(index, LEAVES[:size])]
            assert proof == tree(size).inclusion_proof(index)
            assert verify_inclusion(ENTRIES[index], index, size, proof, root)


def test_an_inclusion_proof_fails_for_anything_changed():
    full = tree(70)
    for size in range(1, 71):
        root = full.root_hex(size)
        for index in range(size):
            proof = full.inclusion_proof(index, size)
            value = ENTRIES[index]
            assert not verify_inclusion(entry(index, "changed"), index, size, proof, root)
            assert not verify_inclusion(value, index, size, proof, flip(root))
            for wrong in {index - 1, index + 1, index ^ 1} - {index}:
                assert not verify_inclusion(value, wrong, size, proof, root)
            for position in range(len(proof)):
                tampered = [*proof]
                tampered[position] = flip(tampered[position])
                assert not verify_inclusion(value, index, size, tampered, root)
            if proof:
                assert not verify_inclusion(value, index, size, proof[:-1], root)
                assert not verify_inclusion(value, index, size, proof[1:], root)
            assert not verify_inclusion(
                value, index, size, [*proof, proof[0] if proof else root], root
            )


def test_an_inclusion_proof_fails_for_every_other_index_in_small_trees():
    for size in range(1, 21):
        root = tree(size).root_hex()
        for index in range(size):
            proof = tree(size).inclusion_proof(index)
            for other in range(size + 2):
                expected = other == index
                assert verify_inclusion(ENTRIES[index], other, size, proof, root) is expected


def test_an_inclusion_proof_binds_the_size_through_the_shape_of_its_path():
    """A proof checked with another size fails unless that size gives the path the same
    shape (then the proof is the same, and only the root tells the trees apart)."""
    full = tree(70)
    for size in range(1, 71):
        root = full.root_hex(size)
        for index in range(size):
            proof = full.inclusion_proof(index, size)
            for claimed in range(index + 1, 72):
                same_shape = path_shape(index, claimed) == path_shape(index, size)
                verified = verify_inclusion(ENTRIES[index], index, claimed, proof, root)
                assert verified is same_shape, (index, size, claimed)
            assert not verify_inclusion(ENTRIES[index], index, index, proof, root)


@pytest.mark.parametrize(
    ("entry_hash", "index", "size", "proof", "root"),
    [
        (ENTRIES[0], 0, 0, [], EMPTY_ROOT),
        (ENTRIES[0], -1, 1, [], LEAVES[0].hex()),
        (ENTRIES[0], True, 2, [LEAVES[1].hex()], LEAVES[0].hex()),
        (ENTRIES[0], 0, 1.0, [], LEAVES[0].hex()),
        (ENTRIES[0].upper(), 0, 1, [], LEAVES[0].hex()),
        (ENTRIES[0], 0, 1, [], LEAVES[0].hex().upper()),
        (ENTRIES[0], 0, 2, [LEAVES[1].hex()[:-2]], LEAVES[0].hex()),
        (ENTRIES[0], 0, 2, LEAVES[1].hex(), LEAVES[0].hex()),
        (ENTRIES[0], 0, 2, None, LEAVES[0].hex()),
        (ENTRIES[0], 0, 2, [None], LEAVES[0].hex()),
        (None, 0, 1, [], LEAVES[0].hex()),
        (ENTRIES[0], 0, 1, [], None),
    ],
)
def test_malformed_inclusion_input_is_false_not_an_error(entry_hash, index, size, proof, root):
    assert verify_inclusion(entry_hash, index, size, proof, root) is False


def test_a_single_leaf_tree_proves_inclusion_with_an_empty_path():
    assert tree(1).inclusion_proof(0) == []
    assert verify_inclusion(ENTRIES[0], 0, 1, [], tree(1).root_hex())
    assert verify_inclusion(ENTRIES[0], 0, 1, (), tree(1).root_hex())


# ---------------------------------------------------------------------------------------
# Consistency proofs.


def test_every_consistency_proof_up_to_70_leaves_is_the_rfcs_and_verifies():
    full = tree(70)
    for new in range(1, 71):
        new_root = full.root_hex(new)
        for old in range(1, new + 1):
            proof = full.consistency_proof(old, new)
            expected = [] if old == new else [node.hex() for node in ref_proof(old, LEAVES[:new])]
            assert proof == expected, (old, new)
            assert verify_consistency(old, new, full.root_hex(old), new_root, proof), (old, new)


def test_a_consistency_proof_fails_for_another_history():
    """The old root of a log whose entry ``changed`` (before the old size) differs."""
    full = tree(70)
    for changed in (0, 1, 5, 31, 32, 47, 68):
        other = MerkleTree.from_entry_hashes(
            [entry(i, "other") if i == changed else h for i, h in enumerate(ENTRIES[:70])]
        )
        for new in range(changed + 1, 71):
            new_root = full.root_hex(new)
            for old in range(changed + 1, new + 1):
                proof = full.consistency_proof(old, new)
                assert not verify_consistency(old, new, other.root_hex(old), new_root, proof)
                # The new tree of the other history is no extension of the true old tree.
                other_proof = other.consistency_proof(old, new)
                assert not verify_consistency(
                    old, new, full.root_hex(old), other.root_hex(new), other_proof
                )


def test_a_consistency_proof_fails_when_tampered_or_reordered():
    full = tree(70)
    for new in range(1, 71):
        new_root = full.root_hex(new)
        for old in range(1, new):
            old_root = full.root_hex(old)
            proof = full.consistency_proof(old, new)
            for position in range(len(proof)):
                tampered = [*proof]
                tampered[position] = flip(tampered[position])
                assert not verify_consistency(old, new, old_root, new_root, tampered)
            assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
            assert not verify_consistency(old, new, old_root, new_root, [*proof, proof[0]])
            assert not verify_consistency(old, new, flip(old_root), new_root, proof)
            assert not verify_consistency(old, new, old_root, flip(new_root), proof)
            assert not verify_consistency(new, old, new_root, old_root, proof)
            assert not verify_consistency(new, old, new_root, old_root, [])


def test_equal_sizes_need_equal_roots_and_an_empty_proof():
    root = tree(9).root_hex()
    assert tree(9).consistency_proof(9) == []
    assert verify_consistency(9, 9, root, root, [])
    assert not verify_consistency(9, 9, root, tree(8).root_hex(), [])
    assert not verify_consistency(9, 9, root, root, [root])


def test_the_empty_tree_is_extended_by_every_tree():
    for new in (0, 1, 2, 70):
        assert tree(70).consistency_proof(0, new) == []
        assert verify_consistency(0, new, EMPTY_ROOT, tree(new).root_hex(), [])
    assert not verify_consistency(0, 5, tree(1).root_hex(), tree(5).root_hex(), [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, tree(5).root_hex(), [tree(5).root_hex()])


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof"),
    [
        (-1, 2, EMPTY_ROOT, EMPTY_ROOT, []),
        (1, True, LEAVES[0].hex(), LEAVES[0].hex(), []),
        (1, 2.0, LEAVES[0].hex(), EMPTY_ROOT, [LEAVES[1].hex()]),
        (1, 2, LEAVES[0].hex(), "nonsense", [LEAVES[1].hex()]),
        (1, 2, None, EMPTY_ROOT, [LEAVES[1].hex()]),
        (1, 2, LEAVES[0].hex(), EMPTY_ROOT, "proof"),
        (1, 2, LEAVES[0].hex(), EMPTY_ROOT, [1]),
        (1, 2, LEAVES[0].hex(), EMPTY_ROOT, []),
        (3, 7, tree(7).root_hex(3), tree(7).root_hex(), []),
    ],
)
def test_malformed_consistency_input_is_false_not_an_error(old, new, old_root, new_root, proof):
    assert verify_consistency(old, new, old_root, new_root, proof) is False


# ---------------------------------------------------------------------------------------
# Signed tree heads.

HEAD = {
    "process": "wijkplan-noord",
    "size": 70,
    "root": tree(70).root_hex(),
    "at": "2026-05-09T12:00:00.000000Z",
}


@pytest.fixture(scope="module")
def private_key() -> str:
    return generate_private_key_b64()


@pytest.fixture(scope="module")
def signed(private_key) -> dict:
    return sign_tree_head(private_key, **HEAD)


def test_keys_are_raw_ed25519_bytes_in_base64():
    # RFC 8032 section 7.1, TEST 1.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    private_b64 = base64.b64encode(seed).decode()
    assert public_key_b64(private_b64) == base64.b64encode(public).decode()
    assert key_id(public_key_b64(private_b64)) == hashlib.sha256(public).hexdigest()[:16]
    generated = generate_private_key_b64()
    assert len(base64.b64decode(generated, validate=True)) == 32
    assert generated != generate_private_key_b64()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not base64!",
        base64.b64encode(b"\x01" * 31).decode(),
        base64.b64encode(b"\x01" * 33).decode(),
        base64.b64encode(b"\x01" * 32).decode().rstrip("="),
        " " + base64.b64encode(b"\x01" * 32).decode(),
        None,
        b"\x01" * 32,
    ],
)
def test_malformed_keys_raise_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="base64 of 32 raw bytes"):
        public_key_b64(bad)
    with pytest.raises(ValueError, match="base64 of 32 raw bytes"):
        key_id(bad)
    with pytest.raises(ValueError, match="base64 of 32 raw bytes"):
        sign_tree_head(bad, **HEAD)
    assert verify_tree_head(sign_tree_head(generate_private_key_b64(), **HEAD), bad) is False


def test_the_payload_is_canonical_json():
    payload = tree_head_payload(process="Plein één", size=3, root=EMPTY_ROOT, at="2026")
    assert (
        payload
        == (
            '{"at":"2026","kind":"inspraak.tree-head","process":"Plein één",'
            f'"root":"{EMPTY_ROOT}","size":3,"v":1}}'
        ).encode()
    )


def test_a_signed_head_verifies_with_its_public_key(private_key, signed):
    public = public_key_b64(private_key)
    assert set(signed) == {"process", "size", "root", "at", "key_id", "signature"}
    assert {name: signed[name] for name in HEAD} == HEAD
    assert signed["key_id"] == key_id(public)
    assert verify_tree_head(signed, public) is True
    # Anyone can check it with the payload and a plain Ed25519 library.
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
        base64.b64decode(signed["signature"]), tree_head_payload(**HEAD)
    )


def test_a_signed_head_fails_with_another_key(signed):
    assert verify_tree_head(signed, public_key_b64(generate_private_key_b64())) is False


def test_a_signed_head_fails_with_another_key_that_claims_the_id(private_key, signed):
    other = generate_private_key_b64()
    forged = {**sign_tree_head(other, **HEAD), "key_id": signed["key_id"]}
    assert verify_tree_head(forged, public_key_b64(private_key)) is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("process", "wijkplan-zuid"),
        ("size", 69),
        ("size", 71),
        ("root", tree(69).root_hex()),
        ("at", "2026-05-09T12:00:00.000001Z"),
    ],
)
def test_a_signed_head_fails_when_a_field_changes(private_key, signed, name, value):
    assert verify_tree_head({**signed, name: value}, public_key_b64(private_key)) is False


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "garbage",
        "!!!!",
        base64.b64encode(b"\x00" * 64).decode(),
        base64.b64encode(b"\x00" * 63).decode(),
        base64.b64encode(b"\x00" * 65).decode(),
        None,
        64,
        b"\x00" * 64,
    ],
)
def test_a_garbage_signature_fails(private_key, signed, signature):
    assert (
        verify_tree_head({**signed, "signature": signature}, public_key_b64(private_key)) is False
    )


def _without(head: dict, name: str) -> dict:
    return {key: value for key, value in head.items() if key != name}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda head: _without(head, "process"),
        lambda head: _without(head, "size"),
        lambda head: _without(head, "root"),
        lambda head: _without(head, "at"),
        lambda head: _without(head, "key_id"),
        lambda head: _without(head, "signature"),
        lambda head: {**head, "extra": 1},
        lambda head: {**head, "size": "70"},
        lambda head: {**head, "size": 70.0},
        lambda head: {**head, "size": True},
        lambda head: {**head, "size": -1},
        lambda head: {**head, "root": head["root"].upper()},
        lambda head: {**head, "root": None},
        lambda head: {**head, "process": None},
        lambda head: {**head, "process": "\udc80"},
        lambda head: {**head, "at": 20260509},
        lambda head: {**head, "key_id": None},
        lambda head: {**head, "key_id": ["x"]},
        lambda head: json.dumps(head),
        lambda head: list(head.items()),
        lambda head: None,
        lambda head: {},
    ],
)
def test_a_malformed_head_is_false_and_never_raises(private_key, signed, mangle):
    assert verify_tree_head(mangle(signed), public_key_b64(private_key)) is False


@pytest.mark.parametrize(
    "fields",
    [
        {**HEAD, "size": -1},
        {**HEAD, "size": "70"},
        {**HEAD, "root": "abc"},
        {**HEAD, "process": 5},
        {**HEAD, "at": None},
    ],
)
def test_signing_refuses_malformed_fields(private_key, fields):
    with pytest.raises(ValueError, match="must be"):
        sign_tree_head(private_key, **fields)


def test_the_module_imports_without_django():
    """A stand-alone verifier needs nothing but this module and ``cryptography``."""
    code = (
        "import sys; import sessions_app.merkle; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"
    }
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=environment)
