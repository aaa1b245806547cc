"""CODEOWNERS as GitHub reads it: gitignore-like patterns, GitHub's exceptions, the last
matching line wins, invalid lines named by number.

The cases follow the examples of GitHub's "About code owners" page (each comment quotes
what the page says about its pattern) and gitignore's pattern format.
"""

from __future__ import annotations

import pytest

from galfriday_gitops.forge.codeowners import LOCATIONS, Owner, parse, pattern_regex

CASES: list[tuple[str, dict[str, bool]]] = [
    # "*.js": every .js file, at any depth
    ("*.js", {"a.js": True, "src/deep/b.js": True, "a.jsx": False}),
    # "/build/logs/": the build/logs directory at the root and any of its subdirectories
    ("/build/logs/", {"build/logs/a": True, "build/logs/x/y": True, "x/build/logs/a": False}),
    # "docs/*": docs/getting-started.md, not docs/build-app/troubleshooting.md
    (
        "docs/*",
        {
            "docs/getting-started.md": True,
            "docs/build-app/troubleshooting.md": False,
            "x/docs/a.md": False,
        },
    ),
    # "apps/": any file in an apps directory anywhere
    ("apps/", {"apps/a": True, "x/apps/b/c": True, "apps": False}),
    # "/docs/": the /docs directory at the root and any of its subdirectories
    ("/docs/", {"docs/a": True, "docs/b/c": True, "x/docs/a": False}),
    # "**/logs": any file in a logs directory such as /build/logs, /deeply/nested/logs
    ("**/logs", {"build/logs/a": True, "deeply/nested/logs/b": True, "logs/c": True}),
    # gitignore: a name without a slash matches at any depth, and everything below it
    ("models", {"models/x/1.0.0.yaml": True, "a/models/b": True, "modelsx/a": False}),
    # a slash inside anchors at the root
    (
        "models/price-direction",
        {"models/price-direction/1.0.0.yaml": True, "x/models/price-direction/a": False},
    ),
    # "*" and "?" stay inside one path segment; "**" spans any number
    ("models/*/1.0.0.yaml", {"models/a/1.0.0.yaml": True, "models/a/b/1.0.0.yaml": False}),
    ("models/**/1.0.0.yaml", {"models/1.0.0.yaml": True, "models/a/b/1.0.0.yaml": True}),
    ("models/a/1.?.0.yaml", {"models/a/1.2.0.yaml": True, "models/a/1.12.0.yaml": False}),
    ("models/**", {"models/a": True, "models/a/b": True, "models": False}),
    # a leading slash with a lone star: files at the root only
    ("/*", {"README.md": True, "models/a": False}),
    # paths are case sensitive
    ("Models/", {"models/a": False, "Models/a": True}),
    # an escaped wildcard is literal
    ("a\\*b", {"a*b": True, "axb": False}),
]


@pytest.mark.parametrize(("pattern", "paths"), CASES, ids=[c[0] for c in CASES])
def test_patterns_match_as_github_documents(pattern: str, paths: dict[str, bool]) -> None:
    regex = pattern_regex(pattern)
    assert {p: regex.fullmatch(p) is not None for p in paths} == paths


def test_the_last_matching_line_wins_and_an_ownerless_line_unowns() -> None:
    text = (
        "# comment line\n"
        "*       @octo-org/everyone   # trailing comment\n"
        "/models/ @dave erin@example.com\n"
        "/models/price-direction/ @octo-org/ml-leads\n"
        "/models/price-direction/9.9.9.yaml\n"
    )
    owners = parse(".github/CODEOWNERS", text.encode())
    assert owners.errors == ()
    assert owners.owners_of("README.md") == (Owner("team", "everyone", "octo-org"),)
    assert owners.owners_of("models/other/1.0.0.yaml") == (
        Owner("user", "dave"),
        Owner("email", "erin@example.com"),
    )
    assert owners.owners_of("models/price-direction/1.2.0.yaml") == (
        Owner("team", "ml-leads", "octo-org"),
    )
    assert owners.owners_of("models/price-direction/9.9.9.yaml") == ()
    found = owners.match("models/price-direction/1.2.0.yaml")
    assert found is not None and found.line == 4


def test_invalid_lines_are_named_by_number_and_skipped() -> None:
    text = (
        "*.yaml @alice\n"  # 1: valid
        "!models/ @bob\n"  # 2: negation does not work
        "models/[ab]/ @bob\n"  # 3: character ranges do not work
        "\\#odd @bob\n"  # 4: escaping a leading # does not work
        "models/ bob\n"  # 5: not an owner
        "models/ @\n"  # 6: not an owner either
    )
    owners = parse("CODEOWNERS", text.encode())
    assert [e.line for e in owners.errors] == [2, 3, 4, 5, 6]
    assert "negation" in owners.errors[0].message
    assert "character ranges" in owners.errors[1].message
    assert "'bob' is not an owner" in owners.errors[3].message
    # The valid line still applies; the invalid ones do not.
    assert owners.owners_of("models/x/1.0.0.yaml") == (Owner("user", "alice"),)


def test_github_reads_the_first_location_in_its_order() -> None:
    assert LOCATIONS == (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def test_a_file_over_three_megabytes_is_ignored_as_github_does() -> None:
    owners = parse("CODEOWNERS", b"* @alice\n" + b"#" * (3 * 1024 * 1024))
    assert owners.entries == () and "3 MB" in owners.errors[0].message
    assert parse("CODEOWNERS", b"* @alice\n").entries  # control: a small file is read
