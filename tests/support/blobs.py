"""Count the git objects a piece of code reads: how a test tells "read one model's folder"
from "read the whole registry" without timing anything."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from galfriday_gitops import gitio


def count_blob_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every object id (or ``rev:path``) read through ``gitio`` from now on, in order: batch
    reads, the long-lived reader and single ``rev:path`` reads alike."""
    read: list[str] = []
    batch, single, one = gitio.read_blobs, gitio.BlobReader.read, gitio.read_blob

    def read_blobs(repo: Path | str, oids: Iterable[str]) -> dict[str, bytes]:
        wanted = list(oids)
        read.extend(wanted)
        return batch(repo, wanted)

    def reader_read(self: gitio.BlobReader, oid: str) -> bytes:
        read.append(oid)
        return single(self, oid)

    def read_blob(repo: Path | str, commit: str, path: str) -> bytes | None:
        read.append(f"{commit}:{path}")
        return one(repo, commit, path)

    monkeypatch.setattr(gitio, "read_blobs", read_blobs)
    monkeypatch.setattr(gitio.BlobReader, "read", reader_read)
    monkeypatch.setattr(gitio, "read_blob", read_blob)
    return read
