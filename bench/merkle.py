"""The cost of the transparency log's Merkle tree (``sessions_app.merkle``) on a long log,
beside a baseline measured in the same run: the root computed by the plain recursive
Merkle Tree Hash of RFC 6962 section 2.1, as the RFC writes it.

    python -m bench.merkle [--leaves 100000] [--proofs 1000]

Prints one JSON line: milliseconds to build the tree from the entries' hashes (hashing
every leaf and every complete subtree once) and to compute the root from the built tree,
the baseline's milliseconds for the root from the same entry hashes (leaf hashes, then the
recursion), each the best of three; and the median and 99th-percentile microseconds of one
inclusion proof plus its verification and of one consistency proof plus its verification.
Proofs are for random leaves and sizes (every prefix of the log is a tree head someone may
hold); the roots they are checked against are computed beforehand, outside the timing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time

from sessions_app.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

from . import description


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962's MTH, recursively: split at the largest power of two below the count."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    left, right = reference_root(leaves[:split]), reference_root(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def milliseconds(step) -> tuple[float, object]:
    """The best wall time of three calls, in milliseconds, and the result."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - started)
    return round(best * 1e3, 3), result


def microseconds(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--proofs", type=int, default=1_000)
    args = parser.parse_args(argv)
    draw = random.Random(6962)
    entries = [
        hashlib.sha256(f"entry {index}".encode()).hexdigest() for index in range(args.leaves)
    ]

    build_ms, tree = milliseconds(lambda: MerkleTree.from_entry_hashes(entries))
    root_ms, root = milliseconds(tree.root_hex)
    baseline_ms, baseline = milliseconds(
        lambda: reference_root([leaf_hash(value) for value in entries]).hex()
    )
    assert root == baseline, "the tree's root differs from the reference"

    inclusion = []
    for _ in range(args.proofs):
        size = draw.randint(1, args.leaves)
        index = draw.randrange(size)
        size_root = tree.root_hex(size)
        started = time.perf_counter()
        proof = tree.inclusion_proof(index, size)
        verified = verify_inclusion(entries[index], index, size, proof, size_root)
        inclusion.append(time.perf_counter() - started)
        assert verified, (index, size)

    consistency = []
    for _ in range(args.proofs):
        new_size = draw.randint(1, args.leaves)
        old_size = draw.randint(1, new_size)
        old_root, new_root = tree.root_hex(old_size), tree.root_hex(new_size)
        started = time.perf_counter()
        proof = tree.consistency_proof(old_size, new_size)
        verified = verify_consistency(old_size, new_size, old_root, new_root, proof)
        consistency.append(time.perf_counter() - started)
        assert verified, (old_size, new_size)

    figures = {
        "leaves": args.leaves,
        "proofs": args.proofs,
        "build_ms": build_ms,
        "root_ms": root_ms,
        "baseline_recursive_root_ms": baseline_ms,
        "inclusion_proof_and_verify": microseconds(inclusion),
        "consistency_proof_and_verify": microseconds(consistency),
    }
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
