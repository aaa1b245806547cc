"""A real MD5 collision: two different byte strings with the same md5 (and different
SHA-256), to attack what pins artifacts by md5 alone.

The two 128-byte blocks are the pair Wang and Yu published with "How to Break MD5 and Other
Hash Functions" (EUROCRYPT 2005), as reproduced in the literature on MD5. MD5 processes
input in 64-byte blocks from a fixed state, so appending the same suffix to both keeps the
collision: :func:`colliding_pair` gives two "model files" a reviewer could not tell apart by
md5.
"""

from __future__ import annotations

import hashlib

_BLOCK_A = bytes.fromhex(
    "d131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f89"
    "55ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5b"
    "d8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0"
    "e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70"
)
_BLOCK_B = bytes.fromhex(
    "d131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f89"
    "55ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5b"
    "d8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0"
    "e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70"
)


def colliding_pair(suffix: bytes = b"\n") -> tuple[bytes, bytes]:
    """(benign, evil): different bytes, equal md5, different SHA-256 (checked here)."""
    benign, evil = _BLOCK_A + suffix, _BLOCK_B + suffix
    md5 = [hashlib.md5(x, usedforsecurity=False).hexdigest() for x in (benign, evil)]
    sha = [hashlib.sha256(x).hexdigest() for x in (benign, evil)]
    assert benign != evil and md5[0] == md5[1] and sha[0] != sha[1], "not a collision"
    return benign, evil
