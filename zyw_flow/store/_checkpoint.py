"""Signed checkpoints of a journal: Ed25519 keys, the checkpoint, its JSON receipt.

A checkpoint states "campaign C (store key S) had a journal of N rows whose RFC 6962
Merkle root over the rows' hashes was R, at time T" and is signed with an Ed25519 key.
The receipt is that statement as a small JSON object (docs/persistence.md#receipts); a
host keeps it outside the database. Verifying a journal against a receipt checks the
signature and a consistency proof from the receipt's tree to the journal's tree today.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zyw_flow._errors import SigningKeyError

__all__ = [
    "RECEIPT_FORMAT",
    "Checkpoint",
    "CheckpointPolicy",
    "generate_keys",
    "key_id",
    "load_private_key",
    "load_public_key",
    "parse_receipt",
    "utc_now",
]

#: The ``format`` field of every receipt this version writes.
RECEIPT_FORMAT = "zyw_flow.checkpoint/1"
#: What the signature covers: this prefix, then the checkpoint's canonical JSON.
_DOMAIN = b"zyw_flow checkpoint\n"
_SIGNED = ("format", "campaign_id", "store_campaign", "tree_size", "root_hash", "time")
_FIELDS = (*_SIGNED, "key_id", "signature")


def utc_now() -> dt.datetime:
    """The signing time of a checkpoint when none is given (the system clock)."""
    return dt.datetime.now(dt.UTC)  # the store is an edge of the library


def key_id(public: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key: names the key in a receipt."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def generate_keys(path: str | Path) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair: ``path`` (PKCS#8 PEM, mode 0600) and ``path.pub``
    (SubjectPublicKeyInfo PEM). Refuses to overwrite either file.

    Returns:
        The private and the public key file.
    """
    private_path = Path(path)
    public_path = private_path.with_name(private_path.name + ".pub")
    for p in (private_path, public_path):
        if p.exists():
            raise FileExistsError(f"{p}: already exists (not overwriting a key)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # created with 0600 from the start: the key is never readable by others
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(private_path, 0o600)  # in case the umask was stricter than asked
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def load_private_key(source: str | Path | Ed25519PrivateKey) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file written by :func:`generate_keys`.

    Raises:
        SigningKeyError: the file holds no unencrypted Ed25519 private key.
        OSError: the file cannot be read.
    """
    if isinstance(source, Ed25519PrivateKey):
        return source
    data = Path(source).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not an Ed25519 private key file ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{source}: holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(source: str | Path | Ed25519PublicKey) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (``KEYFILE.pub``).

    Raises:
        SigningKeyError: the file holds no Ed25519 public key.
        OSError: the file cannot be read.
    """
    if isinstance(source, Ed25519PublicKey):
        return source
    data = Path(source).read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not an Ed25519 public key file ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{source}: holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _canonical(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@attrs.frozen
class Checkpoint:
    """A signed statement of a journal's size and Merkle root (one receipt)."""

    campaign_id: str
    store_campaign: str
    tree_size: int
    root_hash: str
    time: str
    key_id: str
    signature: str
    format: str = RECEIPT_FORMAT

    def signed_bytes(self) -> bytes:
        """The bytes the signature covers."""
        return _DOMAIN + _canonical({k: getattr(self, k) for k in _SIGNED})

    @classmethod
    def sign(
        cls,
        key: Ed25519PrivateKey,
        *,
        campaign_id: str,
        store_campaign: str,
        tree_size: int,
        root: bytes,
        time: dt.datetime,
    ) -> Checkpoint:
        """Sign a checkpoint of a tree of ``tree_size`` rows with root ``root``."""
        stamp = time.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        unsigned = cls(
            campaign_id, store_campaign, tree_size, root.hex(), stamp, key_id(key.public_key()), ""
        )
        signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode("ascii")
        return attrs.evolve(unsigned, signature=signature)

    def signature_problem(self, public: Ed25519PublicKey) -> str | None:
        """Why the signature does not prove this checkpoint with ``public`` (``None``: it
        does)."""
        if self.key_id != key_id(public):
            return (
                f"the receipt was signed by another key (key id {self.key_id[:16]}…, the public "
                f"key given is {key_id(public)[:16]}…)"
            )
        try:
            public.verify(base64.b64decode(self.signature, validate=True), self.signed_bytes())
        except (InvalidSignature, binascii.Error, ValueError):
            return "forged receipt: its signature does not match its content"
        return None

    def to_json(self) -> dict[str, Any]:
        """The receipt as a JSON object."""
        return {k: getattr(self, k) for k in _FIELDS}

    def text(self) -> str:
        """The receipt as one line of canonical JSON."""
        return _canonical(self.to_json()).decode("utf-8")


def parse_receipt(value: str | bytes | Mapping[str, Any]) -> Checkpoint:
    """Read a receipt (its JSON text or the parsed object).

    Raises:
        ValueError: not a receipt of a format this version reads.
    """
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"the receipt is not JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise ValueError("the receipt is not a JSON object")
    if value.get("format") != RECEIPT_FORMAT:
        raise ValueError(f"the receipt's format is {value.get('format')!r}, not {RECEIPT_FORMAT!r}")
    missing = [k for k in _FIELDS if k not in value]
    if missing:
        raise ValueError(f"the receipt lacks {', '.join(missing)}")
    size = value["tree_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"the receipt's tree_size is not a row count: {size!r}")
    for k in _FIELDS:
        if k != "tree_size" and not isinstance(value[k], str):
            raise ValueError(f"the receipt's {k} is not text")
    root = value["root_hash"]
    if len(root) != 64 or any(c not in "0123456789abcdef" for c in root):
        raise ValueError("the receipt's root_hash is not 64 lower-case hex digits")
    return Checkpoint(**{k: value[k] for k in _FIELDS})


@attrs.frozen
class CheckpointPolicy:
    """When a journal signs checkpoints by itself (see :meth:`Journal.sign_checkpoints`).

    ``every``: after a commit that reaches a multiple of ``every`` rows (``None``: never by
    count); ``at_finalize``: at every commit holding an ``evaluation_finalized`` event;
    ``clock``: the signing time (default: the system clock).
    """

    key: Ed25519PrivateKey
    every: int | None = None
    at_finalize: bool = True
    clock: Callable[[], dt.datetime] = utc_now
