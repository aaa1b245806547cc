"""What each rule of the catalogue checks, in full, and how to fix what it reports (the
text of ``gfops rules`` and docs/rules.md; kept apart so the catalogue stays a table)."""

from __future__ import annotations

DOCS: dict[str, str] = {
    "GF100": (
        "The YAML parser stopped at the position shown. Fix the syntax there: indentation, an "
        "unclosed quote or bracket, a tab used for indentation."
    ),
    "GF101": (
        "Stock YAML loaders keep the last of two equal keys and silently drop the first, so a "
        "reviewer and the toolkit could read different values. Remove or rename the repeated "
        "key."
    ),
    "GF102": (
        "Anchors (&a), aliases (*a) and merge keys (<<) let one line change values elsewhere in "
        "the file and make billion-laughs expansion possible. Write the values out in full."
    ),
    "GF103": (
        "Explicit tags can make a YAML loader build arbitrary objects. Remove the tag and write "
        "a plain value; quote it if it must stay a string."
    ),
    "GF104": (
        "A registry file describes one resource. Remove the '---' separator and move any "
        "further document into its own file."
    ),
    "GF105": (
        "Registry files are UTF-8 text. Save the file as UTF-8 without a byte-order mark and "
        "remove NUL bytes or invalid byte sequences."
    ),
    "GF106": (
        "Bidirectional controls and zero-width characters make a name or stage look like "
        "something it is not (Trojan Source). Delete the invisible character; the finding gives "
        "its code point."
    ),
    "GF107": (
        "Files are read in full before parsing, so their size is bounded. Split the content or "
        "remove what does not belong in a registry file."
    ),
    "GF108": (
        "Deeply nested YAML slows the parser down and can overflow the stack. Flatten the "
        "structure; no resource kind needs that depth."
    ),
    "GF109": "Keys such as 1, true or null become non-string keys in YAML 1.1. Quote the key.",
    "GF110": (
        "The value at the reported path does not have the type, range or form the kind's JSON "
        "Schema requires. The message names the expected form; schemas/ has the full schema, "
        "and the modeline gives editors completion and hover help."
    ),
    "GF111": (
        "The kind has no field of that name; a 'did you mean' hint names the closest known one. "
        "Fix the spelling or remove the field."
    ),
    "GF112": (
        "Names are 1-64 characters of lowercase letters, digits, '.', '_' and '-', starting "
        "with a letter or digit, so they are safe in paths, tags and URLs. Rename the resource."
    ),
    "GF113": (
        "Versions are MAJOR.MINOR.PATCH (SemVer 2.0), optionally with a pre-release or build "
        "suffix. Quote the version so YAML does not read 1.10 as a number."
    ),
    "GF114": (
        "Stages are one of development, testing, staging, canary, production, deprecated, "
        "retired and archived, in lowercase. Correct the spelling."
    ),
    "GF115": (
        "A gate that cannot mean what it says is refused when the policy is loaded: a protected "
        "stage (canary and production unless protectedStages says otherwise) that needs no "
        "approval, or a count that the eligible people cannot reach once the change's author, "
        "who never approves their own change, is left out (including the owners, who approve "
        "policy changes). Give the stage approvals, add members, lower the count, or opt the "
        "stage out visibly with approvalsWaived: <reason>."
    ),
    "GF116": (
        "A stage policy names a team (in owners, from or experimentApprovals) that the Teams "
        "resource does not define, so nobody could give that approval. Add the team to "
        "policies/teams.yaml or fix the name."
    ),
    "GF120": (
        "A manifest lives at models/<name>/<version>.yaml, and its metadata must say the same "
        "name and version. Move the file or fix the metadata."
    ),
    "GF121": (
        "Only resource files (*.yaml) belong under models/, policies/ and experiments/. Move "
        "the file elsewhere, e.g. artifacts/ or docs/."
    ),
    "GF122": (
        "A symbolic link could make the registry read a file from outside the repository. "
        "Replace the link with the file itself."
    ),
    "GF123": (
        "A submodule's content is not part of this repository's history, so it cannot be "
        "reviewed or audited here. Remove the submodule and commit the files."
    ),
    "GF124": (
        "Two files declare the same kind and name, so which one applies would be ambiguous. "
        "Rename one of them or delete the duplicate."
    ),
    "GF125": (
        "Each folder holds one family of kinds: ModelVersion in models/, policies in policies/, "
        "Experiment in experiments/. Move the file to its folder."
    ),
    "GF200": (
        "The base's stage policy lists, for each stage, the stages a version may move to. Move "
        "through the intermediate stages in separate pull requests, or change the policy first "
        "(with the policy owners' approval)."
    ),
    "GF201": (
        "New versions are registered in the policy's initialStage (usually development). "
        "Register in that stage and promote afterwards."
    ),
    "GF202": (
        "Only the latest decisive review of each eligible reviewer counts: APPROVED, on the "
        "pull request's current head, not by the author or a committer, not by a bot, from a "
        "team the target stage names. The report lists who counted and how many approvals are "
        "still missing."
    ),
    "GF203": (
        "An eligible reviewer asked for changes and has not approved since. Address the review "
        "and ask for a new one."
    ),
    "GF204": (
        "The target stage requires metric bounds (e.g. test.accuracy >= 0.85). The version's "
        "recorded metrics do not meet them; a missing or NaN metric never passes. Register a "
        "better version or change the policy."
    ),
    "GF205": (
        "The target stage requires fields (e.g. spec.lineage.experiment) to be set before a "
        "version may enter it. Such fields are immutable facts, so register a new version that "
        "records them."
    ),
    "GF206": (
        "The stage holds at most 'capacity' versions of one model, checked on the merged state "
        "so that two pull requests cannot both fill one place. Move the current holder out in "
        "the same pull request (gfops promote does this)."
    ),
    "GF207": (
        "When a version replaces the holder of a stage, the policy says where the old holder "
        "goes (e.g. production -> deprecated). Change the old holder's stage in the same pull "
        "request."
    ),
    "GF208": (
        "Everything in a manifest except spec.stage, spec.deprecation, spec.rollout and "
        "metadata labels/annotations is a fact once merged, and so is the .dvc file of its "
        "artifact: changing or deleting it would change the bytes DVC serves under the same "
        "version. Register a new version instead of editing this one."
    ),
    "GF209": (
        "A version that may be serving or referenced must not disappear. Archive it first; "
        "delete or rename the file only once it is archived."
    ),
    "GF210": (
        "Each artifact's .dvc file must exist beside it and track exactly one output: the "
        "manifest's file (its path is relative to the .dvc file's folder), with the same md5 "
        "and size as the manifest, so the bytes a service loads are the ones reviewed. Re-run "
        "gfops register, or fix the manifest to match the .dvc file."
    ),
    "GF211": (
        "A freeze window in the stage policy forbids entering the listed stages between its "
        "dates. Wait until the window ends, or change the policy with the owners' approval."
    ),
    "GF212": (
        "The target stage requires that this version won a concluded experiment recorded at the "
        "pull request's base. Conclude the experiment (gfops experiment conclude) and merge "
        "that first."
    ),
    "GF213": (
        "Some files decide how every other change is judged or read: policies/, experiments/ (a "
        "concluded experiment is a production gate), .github/, CODEOWNERS, .gitattributes "
        "touching a registry folder, .dvc/ and .dvcignore, .gto, the artifacts section of "
        "dvc.yaml, and the gate's own code (galfriday_gitops/, and where the toolkit lives its "
        "build files: pyproject.toml, setup.py, setup.cfg, MANIFEST.in, action.yml), and a path "
        "that is one of these or a registry file only on a case-insensitive file system "
        "(Models/, .DVC/config on macOS and Windows). A change to one needs an approval from "
        "the policy owners named in the base's stage policy (for experiments: the policy's "
        "experimentApprovals, if it names them). Ask an owner to review."
    ),
    "GF214": (
        "Every model version must be governed by exactly one valid StagePolicy (by name glob "
        "and labels). Fix the policy file's errors, or make the appliesTo selectors not "
        "overlap."
    ),
    "GF215": (
        "spec.rollout.trafficPercent is the share of traffic a canary serves beside production "
        "(the Router splits by it). A canary the change touches must have one, within the "
        "canary stage's rollout.maxTrafficPercent; a version in any other stage must have none "
        "(promotion to production serves the whole production share). gfops promote NAME "
        "VERSION canary --traffic PERCENT sets it and removes it when the version leaves "
        "canary."
    ),
    "GF216": (
        "A deprecated version must name a replacement that is live (canary or production) when "
        "the LifecyclePolicy requires one. Set spec.deprecation.replacement."
    ),
    "GF217": (
        "Approvals are judged from the pull request's reviews and commits. When that data is "
        "missing, truncated or an API call failed, the change is blocked rather than guessed. "
        "Re-run the check."
    ),
    "GF218": (
        "After the change no version of the model is in production, so a service resolving "
        "NAME@production (Registry.resolve, dvc artifacts get --stage production) finds nothing "
        "from the merge on. A warning, not a block: retiring a model is a legitimate change. If "
        "it is not meant, promote a replacement in the same pull request (gfops deprecate "
        "--replacement names one; gfops promote moves the holder with previousHolder)."
    ),
    "GF220": (
        "A concluded experiment's result decides whether its treatment may enter production, so "
        "the reconciler recomputes it: it fetches the outcome data the result names by its md5 "
        "(the DVC cache, else the default remote; objects only, verified), runs the declared "
        "analysis, and compares winner, decision, samples, lift, interval, p-value, chance to "
        "win and SRM p-value. The recorded md5 must be the one DVC tracks at the experiment's "
        "data path (a .dvc file beside it, or a dvc.lock output; a file inside a tracked folder "
        "is left to the recomputation). A result that differs, data other than the tracked data "
        "or untracked, data that cannot be read, or a declaration edited in the same change is "
        "blocked. Push the data (dvc push) and record the result with gfops experiment "
        "conclude; change a design in a pull request of its own."
    ),
    "GF221": (
        "An experiment compares two registered versions: both must exist and not be archived "
        "after the change, and a version that a planned or running experiment compares cannot "
        "be archived, deleted or renamed. Fix the experiment's versions, or conclude or stop "
        "the experiment first."
    ),
    "GF222": (
        "A note, not a block: a version enters a protected stage (canary, production or the "
        "policy's protectedStages) that needs no approval, because the policy says "
        "approvalsWaived: <reason> or leaves the stage out of protectedStages. The report "
        "prints the reason so that nobody mistakes it for a reviewed move."
    ),
    "GF223": (
        "A merge group is judged pull request by pull request: each queued pull request's "
        "changes with its own reviews, whole-state rules on the group's merged state. Its base "
        "must be main's current head, or the tip of a queued group that sits on it; every "
        "commit between main and the group's head must belong to a queued pull request. "
        "Otherwise the group is blocked: let the queue rebuild it on main."
    ),
    "GF224": (
        "With approvals.codeOwners, the owners of a changed manifest in the base's CODEOWNERS "
        "(the first of .github/, the root, docs/; the last matching line wins) may approve. A "
        "pull request that changes a CODEOWNERS file must leave every line valid (no !, no [ ], "
        "owners as @user, @org/team or an email); the base's invalid lines and owners that name "
        "nobody in the Teams resource are warnings."
    ),
    "GF230": (
        "A version number names one artifact forever. A name@version that existed on main (its "
        "manifest anywhere along main's first parents, or an audit tag naming it, deregistered "
        "or not) can only come back with the same bytes (md5, size and, where both record it, "
        "sha256); a tag whose commit holds no readable manifest blocks any re-registration. "
        "Register the new artifact under a new version."
    ),
    "GF231": (
        "dvc artifacts get NAME --rev vX (and --stage S) reads dvc.yaml's artifacts.NAME.path "
        "at the commit the registration tag points to, so a registration must point that entry "
        "at its own file, artifacts/<name>/<version>/<file>; an entry naming another file would "
        "make DVC serve other bytes under this version (an error), a missing entry means DVC "
        "cannot serve it at all (a warning). gfops register writes the entry; one pull request "
        "registers at most one version of a model."
    ),
    "GF232": (
        "A stage whose policy says requireArtifactInRemote: true is entered only when every "
        "artifact of the version is in the default DVC remote, asked with the credentials CI "
        "has. A remote that cannot be asked (no remote, no credentials, unreachable) blocks the "
        "change: fail closed. dvc push the artifact, or give the check job read access."
    ),
    "GF233": (
        "MD5 collisions can be made on purpose, so a new registration records the artifact's "
        "SHA-256 beside DVC's md5 (gfops register does), and wherever the reconciler can read "
        "the object (the DVC remote, else the cache) its bytes must hash to both, on every "
        "registration and stage change. Manifests from before sha256 was recorded keep loading "
        "and are verified by md5 only. Restore the object from a trusted copy; never "
        "re-register a version."
    ),
    "GF290": (
        "The reconciler hit an unexpected error, so it blocks the change rather than allowing "
        "it unchecked. Re-run with --debug and report the traceback."
    ),
    "GF300": (
        "Every registration and stage change on main that the gate allows gets its audit tags "
        "from gfops apply on push. A change without them, and without a record saying apply "
        "blocked it, was never recorded: apply did not run, or its tags were deleted. Run gfops "
        "apply (it starts after the newest recorded commit), and find out why it had not."
    ),
    "GF301": (
        "The stage change landed on main without a pull request whose approvals satisfied the "
        "base's policy (a direct push, or apply recorded the commit as blocked). Investigate "
        "the push; revert the change and promote it through a reviewed pull request."
    ),
    "GF302": (
        "An audit tag or commit record points at or records a commit that is not on main's "
        "first-parent history: main was rewritten or force-pushed (gfops apply reports it on "
        "the push that did it, and stops where a tag name is taken off main). Restore main from "
        "a backup or the tags' targets, or account for the rewrite and delete the stale tags."
    ),
    "GF303": (
        "Audit tags are written as the automation identity named in the Teams file. A tag by "
        "anyone else was not written by gfops apply."
    ),
    "GF304": (
        "With allowedSigners set, every audit tag must carry an SSH signature by a listed key. "
        "Configure gpg.format ssh and user.signingkey for the apply job."
    ),
    "GF305": (
        "An audit tag's name, target or record does not match what the commit actually changed, "
        "or two tags record one change. The tag was forged or edited; delete it and re-run "
        "gfops apply."
    ),
    "GF306": (
        "Each audit tag names the object id of the model's previous tag, so a deleted or "
        "re-created tag breaks the chain. Find out who changed the tags; restore them from a "
        "backup."
    ),
    "GF307": (
        "An audit tag claims a date before the commit it records existed. It was forged or the "
        "tagger's clock was wrong; re-create it with gfops apply."
    ),
    "GF308": (
        "gfops apply re-runs the reconciler on every first-parent commit (base: its first "
        "parent, with the reviews of the pull request GitHub merged as it) and checks main's "
        "state after it. This commit fails a gate rule (named in the message): it landed around "
        "the gate (an admin bypass, a stale green check, a misconfigured queue). apply recorded "
        "it as blocked and wrote no GTO tag for it, so GTO, DVC and deploys keep the last "
        "approved state. Revert or repair it through a reviewed pull request."
    ),
    "GF309": (
        "Policies, teams, experiments, workflows (.github/), .gitattributes and the .dvc files "
        "of registered versions decide how every later change is judged, so each change to them "
        "needs a pull request whose approvals the base's policy accepted. This one had none (a "
        "direct push) or its record says it was not approved. Revert it and propose it again."
    ),
    "GF310": (
        "GTO and DVC read every tag in GTO's grammar, including forms gfops apply never writes: "
        "the simple name#stage (gto assign --simple true), name@deprecated, name@created, or a "
        "stage tag without its counter. Such a tag changes what gto show and dvc artifacts get "
        "--stage report, with no audit record behind it. Delete it; move stages through a PR."
    ),
    "GF311": (
        "The records are not signed and the Teams file names no allowedSigners, so anyone who "
        "can push a tag could have written them: nothing was found wrong, but nothing can be "
        "trusted either (exit status 3). Configure an SSH signing key for the apply job and an "
        "allowed-signers file (docs/github-setup.md), or state automation.acceptUnsigned: true."
    ),
    "GF312": (
        "The gate judges a change by its base's policies, so a policy change that drops a stage "
        "from the graph is never measured against the versions in that stage. After it lands "
        "main holds a version in a stage its policy no longer knows. Move the version to a "
        "stage of the graph, or restore the stage in the policy."
    ),
    "GF313": (
        "The allowed signers list the demo key, whose private half is published with "
        "galfriday-gitops for make demo and the tests: anyone can sign as it, so its signatures "
        "prove nothing. Generate the registry's own key and replace the line (a warning: it "
        "does not fail the check)."
    ),
}
