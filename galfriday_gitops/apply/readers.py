"""What GTO and DVC read from the audit tags ``apply`` writes, and where they cannot agree.

Both read the tags, not the manifests:

- **DVC** (``dvc artifacts get --stage S``, ``dvc.api.artifacts_show(stage=S)``) takes every
  annotated tag naming stage ``S`` -- assignment *or* unassignment -- sorts them by tagger
  time and serves the commit the newest one points to (``dvc/repo/artifacts.py``,
  ``Artifacts.get_rev``: ``find(name=, stage=)`` then ``tags[-1].target``). A stage whose
  last change only took a version away (an emptied stage, or one version leaving a stage
  that keeps others) therefore still resolves, to the version that left. No tag order can
  fix that; :func:`misreadings` says so wherever it happens.
- **GTO** (``gto show``) keeps every assignment active until its unassignment and shows,
  per stage, the version whose active assignment is newest (``versions_per_stage=1``,
  ``sort=timestamp``); ``--vs -1`` lists every version in the stage. It reads the stage
  names a registry allows from ``.gto`` (``stages:``), which ``gfops schema --write`` keeps
  equal to ``ModelStage``, so ``gto assign --stage prod`` is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops import gitio
from galfriday_gitops.apply import tags
from galfriday_gitops.apply.tags import TagAction
from galfriday_gitops.errors import UserError
from galfriday_gitops.semver import precedence

GTO_CONFIG = ".gto"

Table = Mapping[str, Mapping[str, list[str]]]  # model -> stage -> versions (SemVer order)


def gto_config(stages: Iterable[str], existing: str | None = None) -> str:
    """``.gto`` with ``stages:`` set to ``stages``; any other setting in ``existing`` kept."""
    import yaml  # only to write: reading goes through the safe loader

    data: dict[str, Any] = {}
    if existing:
        loaded = _read_gto_config(existing.encode("utf-8"))
        if isinstance(loaded, dict):
            data = {k: v for k, v in loaded.items() if k != "stages"}
    data["stages"] = list(stages)
    header = (
        "# GTO's registry config, written by `gfops schema --write`: the stages are ModelStage,\n"
        "# so GTO (and DVC through it) refuses a stage gfops does not know.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False)


def _read_gto_config(raw: bytes) -> Any:
    """``.gto``'s data through the safe loader (size, depth, no aliases or tags); a file it
    refuses is an error naming the line."""
    from galfriday_gitops.load.safe_yaml import YamlError, load

    try:
        return load(raw, with_positions=False).data
    except YamlError as exc:
        raise UserError(f"{GTO_CONFIG}:{exc.line}: {exc.message} [{exc.rule_id}]") from None


@dataclass(frozen=True, slots=True)
class StageTag:
    """One audit tag that names a stage, as DVC and GTO see it."""

    name: str
    action: TagAction
    model: str
    stage: str
    target: str
    date: int


@dataclass(frozen=True, slots=True)
class TagView:
    """The audit tags of a repository: stage tags in DVC's order, registrations by commit."""

    stage_tags: list[StageTag]
    versions_at: dict[tuple[str, str], list[str]]  # (model, commit) -> registered versions

    def dvc_resolves(self) -> dict[tuple[str, str], StageTag]:
        """(model, stage) -> the tag DVC serves that stage from (the newest naming it)."""
        newest: dict[tuple[str, str], StageTag] = {}
        for tag in self.stage_tags:  # sorted by date: the last one wins, as in DVC
            newest[(tag.model, tag.stage)] = tag
        return newest

    def versions_of(self, tag: StageTag) -> list[str]:
        return self.versions_at.get((tag.model, tag.target), [])

    def assignments(self) -> dict[tuple[str, str], list[StageTag]]:
        """(model, stage) -> its assignment tags, oldest first (one pass over the tags,
        not one per stage: 40,000 tags made ``status --format gto`` quadratic)."""
        out: dict[tuple[str, str], list[StageTag]] = {}
        for tag in self.stage_tags:
            if tag.action is TagAction.ASSIGN:
                out.setdefault((tag.model, tag.stage), []).append(tag)
        return out

    def compact(self) -> TagView:
        """The view without the tags no reader of it can tell apart from a later one: of
        each (model, stage) its newest tag (all :meth:`dvc_resolves` reads) and, of its
        assignments, the newest to each target (:meth:`last_assigned` decides by the
        target's versions alone, and a later tag with the same target wins). Every method
        gives the same answers; a long trail of stage changes shrinks to a few tags per
        version, which is what a warm ``status`` decodes and scans."""
        newest: dict[tuple[str, str], int] = {}
        last_to: dict[tuple[str, str, str], int] = {}
        for i, tag in enumerate(self.stage_tags):
            newest[(tag.model, tag.stage)] = i
            if tag.action is TagAction.ASSIGN:
                last_to[(tag.model, tag.stage, tag.target)] = i
        keep = sorted({*newest.values(), *last_to.values()})
        return TagView([self.stage_tags[i] for i in keep], self.versions_at)

    def last_assigned(self, assigned: list[StageTag], holders: list[str]) -> str | None:
        """Which of ``holders`` GTO shows for a stage by default: the newest of the stage's
        ``assigned`` tags (from :meth:`assignments`) that names one of them."""
        best: str | None = None
        for tag in assigned:
            found = [v for v in self.versions_of(tag) if v in holders]
            best = found[0] if len(found) == 1 else best
        return best


def read_tags(repo: Path | str, patterns: Sequence[str] = ("refs/tags",)) -> TagView:
    """Every annotated audit tag (under ``patterns``: one model's, for one model's view),
    stage tags sorted by tagger time (ties: by name, as the ref listing DVC sorts stably)."""
    stage_tags: list[StageTag] = []
    versions_at: dict[tuple[str, str], list[str]] = {}
    for ref in (r for pattern in patterns for r in gitio.list_tag_heads(repo, pattern)):
        name = tags.parse(ref.name)
        if name is None or not ref.annotated:  # DVC and GTO skip lightweight tags too
            continue
        if name.action is TagAction.REGISTER and name.version is not None:
            versions_at.setdefault((name.model, ref.target), []).append(name.version)
        elif name.stage is not None:
            stage_tags.append(
                StageTag(ref.name, name.action, name.model, name.stage, ref.target, ref.date)
            )
    stage_tags.sort(key=lambda t: (t.date, t.name))
    return TagView(stage_tags, versions_at)


_VIEW_KEY = "tag-view-v2:"  # bump when TagView, its compaction or the tag naming changes
_ACTIONS = {a.value: a for a in TagAction}  # a dict lookup per row, not an Enum call


def read_tags_cached(repo: Path | str) -> TagView:
    """:func:`read_tags` of every tag, compacted (:meth:`TagView.compact`), kept in the blob
    cache under a digest of the tag names and the object ids they point to. Those ids name
    the tag objects (target, tagger date), so the key changes whenever anything the view is
    built from does: listing them costs no tag-object reads, where the view reads all of
    them (0.5 s at 40,000 tags). While the files the tags live in are unchanged
    (:func:`_tags_stamp`), the listing's key is remembered and the tags are not listed."""
    from galfriday_gitops.load.cache import open_cache

    cache = open_cache(repo)
    stamp = _tags_stamp(repo)
    key = cache.get_many([stamp]).get(stamp) if stamp is not None else None
    hit = cache.get_many([key]).get(key) if key is not None else None
    if key is None or hit is None:  # the tags' files changed (or no stamp): list the tags
        listing = gitio.git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags")
        key = _VIEW_KEY + hashlib.sha256(listing).hexdigest()
        hit = cache.get_many([key]).get(key)
        if stamp is not None:
            cache.put_many({stamp: key})
    if hit is not None:
        stage_rows, version_rows = json.loads(hit)
        return TagView(
            [StageTag(n, _ACTIONS[a], m, s, t, d) for n, a, m, s, t, d in stage_rows],
            {(m, c): list(vs) for m, c, vs in version_rows},
        )
    view = read_tags(repo).compact()
    stage_rows = [
        [t.name, t.action.value, t.model, t.stage, t.target, t.date] for t in view.stage_tags
    ]
    version_rows = [[m, c, vs] for (m, c), vs in view.versions_at.items()]
    cache.put_many({key: json.dumps([stage_rows, version_rows], separators=(",", ":"))})
    return view


def _tags_stamp(repo: Path | str) -> str | None:
    """A digest of the files git's files backend keeps tags in: ``packed-refs`` and every
    file under ``refs/tags``, each by (path, inode, size, modification time in ns). Git
    writes a ref by renaming a lock file over it, so any change to any tag changes the
    stamp, and a warm ``status`` lists no tags (60,000 tags: ~50 ms of ``for-each-ref``).
    None, and the tags are listed, for another backend (reftable), a symlinked
    ``refs/tags`` or anything that cannot be read."""
    try:
        common = gitio.git_dir(repo)
        if (common / "reftable").exists() or (common / "refs" / "tags").is_symlink():
            return None
        seen = []
        for path in [common / "packed-refs", *sorted(_files_under(common / "refs" / "tags"))]:
            try:
                st = path.lstat()
            except FileNotFoundError:
                seen.append(f"{path}\tnone")
                continue
            seen.append(f"{path}\t{st.st_ino}\t{st.st_size}\t{st.st_mtime_ns}")
    except (OSError, gitio.GitError):
        return None
    return _VIEW_KEY + "stamp:" + hashlib.sha256("\n".join(seen).encode()).hexdigest()


def _files_under(folder: Path) -> list[Path]:
    out = []
    for top, dirs, files in os.walk(folder, onerror=_raise):
        out += [Path(top) / f for f in files]
        dirs[:] = [d for d in dirs if not (Path(top) / d).is_symlink()]
    return out


def _raise(exc: OSError) -> None:
    if not isinstance(exc, FileNotFoundError):  # no refs/tags folder: no loose tags
        raise exc


def misreadings(view: TagView, table: Table, model: str | None = None) -> list[str]:
    """One line per stage that ``dvc artifacts get --stage`` resolves to a version that is
    not in it (the state DVC cannot represent), e.g. a stage emptied by a promotion;
    ``model`` limits it to one model."""
    out = []
    for (name, stage), tag in sorted(view.dvc_resolves().items()):
        if model is not None and name != model:
            continue
        holders = list(table.get(name, {}).get(stage, []))
        served = view.versions_of(tag)
        if any(v in holders for v in served):
            continue
        what = " or ".join(served) if served else f"commit {tag.target[:12]}"
        now = f"holds {', '.join(holders)}" if holders else "is empty"
        out.append(
            f"{name}: `dvc artifacts get --stage {stage}` serves {what} (newest tag "
            f"{tag.name}), but {stage} {now}: DVC resolves a stage to its newest tag, "
            "unassignments included"
        )
    return out


def gto_stages(repo: Path, table: Table) -> list[str]:
    """The stage columns ``gto show`` prints: ``.gto``'s ``stages:`` when it has them,
    else every stage that holds a version of a model GTO can read, sorted (as GTO does)."""
    config = repo / GTO_CONFIG
    if config.is_file() and not config.is_symlink():
        loaded = _read_gto_config(config.read_bytes())
        stages = loaded.get("stages") if isinstance(loaded, dict) else None
        if isinstance(stages, list):
            return [str(s) for s in stages]
    return sorted(
        {s for m, row in table.items() if tags.gto_readable(m) for s, v in row.items() if v}
    )


def gto_show(view: TagView, table: Table, stages: Iterable[str]) -> dict[str, Any]:
    """The registry in ``gto show --json``'s shape, from the manifests: per model the
    greatest version and, per stage, the version GTO shows by default (of several in one
    stage, the one assigned last; the greatest where no tag says)."""
    names = list(stages)
    assigned = view.assignments()
    out: dict[str, Any] = {}
    for model, row in sorted(table.items()):
        if not tags.gto_readable(model):
            continue  # GTO cannot parse this model's tags: it does not list it
        versions = [v for held in row.values() for v in held]
        shown: dict[str, str | None] = {}
        for stage in names:
            holders = sorted(row.get(stage, []), key=precedence)
            pick = (
                view.last_assigned(assigned.get((model, stage), []), holders)
                if len(holders) > 1
                else None
            )
            pick = pick or (holders[-1] if holders else None)
            shown[stage] = f"v{pick}" if pick else None
        out[model] = {
            "version": f"v{max(versions, key=precedence)}" if versions else None,
            "stage": shown,
            "registered": True,
            "active": True,
        }
    return out
