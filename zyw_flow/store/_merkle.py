"""RFC 6962 Merkle trees over the journal rows' hashes: roots and consistency proofs.

The tree is the one of RFC 6962 §2.1 (RFC 9162 §2.1.1) for any number of leaves: a leaf
is ``SHA-256(0x00 || row hash bytes)``, an inner node ``SHA-256(0x01 || left || right)``,
and the tree over ``n`` leaves splits at the largest power of two below ``n``. A
consistency proof (§2.1.2) shows that the tree of the first ``m`` leaves is a prefix of
the tree of ``n`` leaves; :func:`verify_consistency` is RFC 9162 §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "Tree",
    "consistency_proof",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
]

_sha256 = hashlib.sha256
#: The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(row_hash: str) -> bytes:
    """The leaf of a journal row: ``SHA-256(0x00 || bytes of its hex hash)``."""
    return _sha256(b"\x00" + bytes.fromhex(row_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An inner node: ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """Every level of the tree over a list of leaves (level 0: the leaves).

    Level ``k`` holds the roots of the aligned perfect subtrees of ``2**k`` leaves; the
    root of any range the RFC's recursion asks for is put together from them.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        levels: list[Sequence[bytes]] = [leaves]
        level = leaves
        while len(level) > 1:
            h = _sha256
            level = [
                h(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
            ]
            levels.append(level)
        self._levels = levels

    @classmethod
    def of_row_hashes(cls, hashes: Iterable[str]) -> Tree:
        """The tree over journal rows given by their hex hashes, in row order."""
        h, fromhex = _sha256, bytes.fromhex
        return cls([h(b"\x00" + fromhex(x)).digest() for x in hashes])

    def root(self, lo: int = 0, hi: int | None = None) -> bytes:
        """The root of the subtree over leaves ``lo`` … ``hi - 1`` (``lo`` aligned as in
        the RFC's recursion); the whole tree by default."""
        hi = self.size if hi is None else hi
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and lo % n == 0:
            return self._levels[n.bit_length() - 1][lo // n]
        k = _split(n)
        return node_hash(self.root(lo, lo + k), self.root(lo + k, hi))


def consistency_proof(tree: Tree, m: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2 for the tree's ``n`` leaves (0 < m ≤ n)."""
    if not 0 < m <= tree.size:
        raise ValueError(f"no consistency proof from {m} to {tree.size} leaves")
    return _subproof(tree, m, 0, tree.size, True)


def _subproof(tree: Tree, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [tree.root(lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(tree, m, lo, lo + k, whole), tree.root(lo + k, hi)]
    return [*_subproof(tree, m - k, lo + k, hi, False), tree.root(lo, lo + k)]


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``first`` leaves with ``first_root`` to be a
    prefix of the tree of ``second`` leaves with ``second_root`` (RFC 9162 §2.1.4.2)."""
    if first > second or first < 0:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is in the tree
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    Appending a leaf costs O(log n) amortised; :meth:`root` equals :meth:`Tree.root` of
    the same leaves. The journal keeps one to sign checkpoints without re-reading rows.
    """

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (leaves, root) of each perfect subtree

    def copy(self) -> Frontier:
        """An independent copy."""
        out = Frontier()
        out.size, out._stack = self.size, list(self._stack)
        return out

    def add(self, leaf: bytes) -> None:
        """Append one leaf."""
        stack = self._stack
        width, node = 1, leaf
        while stack and stack[-1][0] == width:
            node = node_hash(stack.pop()[1], node)
            width *= 2
        stack.append((width, node))
        self.size += 1

    def root(self) -> bytes:
        """The root of the tree over every leaf added so far."""
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node
