"""SemVer checks take the whole string: a final newline is not part of a version."""

from __future__ import annotations

import pytest

from galfriday_gitops.semver import Version, is_semver


@pytest.mark.parametrize("text", ["1.0.0", "1.10.0-rc.1+build.5"])
def test_a_version_is_semver(text: str) -> None:
    assert is_semver(text)
    assert Version(text).text == text


@pytest.mark.parametrize("text", ["1.0.0\n", "1.0.0 ", "v1.0.0", "1.0"])
def test_anything_around_a_version_is_refused(text: str) -> None:
    # Python's "$" matches before a final newline: re.match accepted "1.0.0\n".
    assert not is_semver(text)
    with pytest.raises(ValueError, match="not a SemVer"):
        Version(text)


def test_precedence_orders_exactly_as_version_does() -> None:
    """The cached sort key used on registry-sized lists agrees with Version's ordering,
    pre-releases and build metadata included (semver.org's own example order)."""
    from galfriday_gitops.semver import precedence

    texts = ["1.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
             "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "2.0.0", "1.10.0", "1.9.0",
             "1.0.0+build.7"]  # fmt: skip
    by_version = sorted(texts, key=Version)
    assert sorted(texts, key=precedence) == by_version
    assert by_version[:2] == ["1.0.0-alpha", "1.0.0-alpha.1"]  # the spec's order, checked
    assert by_version.index("1.9.0") < by_version.index("1.10.0")
    assert precedence("1.0.0") == precedence("1.0.0+build.7")  # build metadata is ignored
    with pytest.raises(ValueError, match="not a SemVer"):
        precedence("1.0")
