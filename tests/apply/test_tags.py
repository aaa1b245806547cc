"""Tag names: every form GTO reads, parsed as GTO parses it (GTO itself is the oracle)."""

from __future__ import annotations

import pytest
from gto.tag import parse_name

from galfriday_gitops.apply import tags
from galfriday_gitops.apply.signing import DEMO_PUBLIC_KEY, trusts_demo_key
from galfriday_gitops.apply.tags import TagAction
from tests.support.signing import DEMO_KEY

NAMES = [
    "price-direction@v1.2.0",  # registration
    "price-direction@v1.2.0!",  # deregistration
    "price-direction@v1.2.0#3",  # registration with a counter (GTO allows it)
    "price-direction#production#7",  # assignment
    "price-direction#production!#8",  # unassignment
    "price-direction#production",  # GTO's simple form: gto assign --simple true
    "price-direction#production!",  # simple unassignment
    "price-direction@deprecated",  # gto deprecate
    "price-direction@deprecated#4",
    "price-direction@created",
    "price-direction#prod/eu#2",  # GTO's stage names may hold a slash
    "price-direction#production#0",  # GTO accepts any counter
]
NOT_TAGS = [
    "gfops/commit/" + "a" * 40,  # a commit record: GTO must not read it as a stage
    "v1.2.0",
    "price-direction",
    "price-direction#",
    "price-direction@1.2.0",  # no v
    "price-direction#production#x",
]


@pytest.mark.parametrize("name", NAMES)
def test_every_form_gto_reads_is_parsed_as_gto_parses_it(name: str) -> None:
    ours = tags.parse(name)
    gto = parse_name(name)
    assert ours is not None and gto
    assert ours.model == gto["name"]
    assert ours.version == gto.get("version", "").removeprefix("v") or ours.version is None
    assert ours.stage == gto.get("stage")
    assert ours.counter == gto.get("counter")
    if ours.action is not TagAction.CREATE:  # GTO parses @created without an action
        assert ours.action.value == gto["action"].value
    assert str(ours) == name  # formats back exactly


@pytest.mark.parametrize("name", NOT_TAGS)
def test_names_gto_does_not_read_are_not_tags(name: str) -> None:
    assert tags.parse(name) is None
    assert parse_name(name, raise_on_fail=False) == {}


def test_only_versions_and_counted_stage_tags_are_apply_forms() -> None:
    ours = {n for n in NAMES if (t := tags.parse(n)) is not None and t.ours}
    assert ours == {
        "price-direction@v1.2.0",
        "price-direction@v1.2.0!",
        "price-direction@v1.2.0#3",
        "price-direction#production#7",
        "price-direction#production!#8",
        "price-direction#prod/eu#2",
    }
    simple = tags.parse("price-direction#production")
    assert simple is not None and "simple form" in simple.describe()


def test_commit_records_name_their_commit() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert tags.recorded_commit(tags.commit_record(sha)) == sha
    assert tags.recorded_commit("gfops/commit/short") is None
    assert tags.recorded_commit("price-direction#production#7") is None


def test_the_demo_key_constant_is_the_published_key() -> None:
    published = DEMO_KEY.with_suffix(".pub").read_text(encoding="utf-8").split()
    assert DEMO_PUBLIC_KEY.split() == published[:2]
    line = f'bot@galfriday.dev namespaces="git" {" ".join(published)}\n'.encode()
    assert trusts_demo_key(b"# comment\n" + line)
    assert not trusts_demo_key(b"bot@galfriday.dev ssh-ed25519 AAAAC3NzaOTHER\n")
