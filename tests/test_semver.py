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
