"""The two string hashes TensorFlow buckets with, FarmHash from pyfarmhash, SipHash written out.

``tf.strings.to_hash_bucket_fast`` (tf.keras ``Hashing`` without a salt, and the OOV
buckets of ``StringLookup``/``TextVectorization``) is FarmHash's ``Fingerprint64``
(farmhash-na ``Hash64``) of the UTF-8 bytes, modulo the bucket count;
``to_hash_bucket_strong`` (``Hashing`` with a salt) is SipHash-2-4 keyed by the two salt
words. FarmHash comes from ``pyfarmhash`` (maintained bindings of Google's code). SipHash has
no maintained package, so it is written out from the published algorithm (a few lines);
``tests/formats/test_tfkeras_preprocessing.py`` checks both against TensorFlow itself on
strings of every length class. Speed is not a goal: the numpy interpreter is a reference.
"""

from __future__ import annotations

__all__ = ["fingerprint64", "siphash24"]

_MASK = (1 << 64) - 1


def fingerprint64(data: bytes) -> int:
    """FarmHash ``Fingerprint64`` of ``data`` (what ``to_hash_bucket_fast`` buckets by)."""
    import farmhash  # pyfarmhash: Google's FarmHash, maintained bindings

    return int(farmhash.fingerprint64(bytes(data)))


def _rol(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK
    v1 = _rol(v1, 13) ^ v0
    v0 = _rol(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rol(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rol(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rol(v1, 17) ^ v2
    v2 = _rol(v2, 32)
    return v0, v1, v2, v3


def siphash24(key0: int, key1: int, data: bytes) -> int:
    """SipHash-2-4 of ``data`` under the 128-bit key ``(key0, key1)`` (64-bit words)."""
    k0, k1 = key0 & _MASK, key1 & _MASK
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(data)
    whole = n - n % 8
    words = [int.from_bytes(data[i : i + 8], "little") for i in range(0, whole, 8)]
    words.append(int.from_bytes(data[whole:], "little") | ((n & 0xFF) << 56))
    for m in words:
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3
