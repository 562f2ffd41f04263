"""Do the packages of lms/ depend on each other one way only (STYLE.md "Dependencies point one way",
DESIGN.md §2)?

Every module under lms/ is read with `ast` (nothing is imported), and every import in it counts:
at module level, inside a function, under `if TYPE_CHECKING:` and inside `try:` alike. A
TYPE_CHECKING import counts even when it is only used in an annotation: a type written in a
signature is part of what a reader must know to read the code, and "annotation only" is a promise
no test keeps for long (the next edit uses the name at run time). Code that takes another domain's
object without depending on it names no type for it (or a Protocol of its own).

A package may import any package in a lower layer and any module of its own package, nothing else.
Packages in one layer may not import each other either: one layer is one package, except where the
layer is listed as a set of siblings that are independent of each other.
"""
from __future__ import annotations

import ast
from pathlib import Path

import lms

LMS = Path(lms.__file__).parent

#: Lowest first. A package may depend on the packages of the layers before its own.
LAYERS: list[tuple[str, ...]] = [
    # Infrastructure: knows no domain.
    ("config",),
    ("extensions",),
    ("storage", "media"),  # plain functions over keys and paths; siblings, independent
    ("jobs",),
    ("core",),  # permissions, errors, i18n, mail, realtime, templating helpers: may queue jobs, read storage
    # The audit log is a low service every domain records into (an operation calls `record_event`
    # inside its own transaction), so it sits below every domain, accounts included. Domains tell it
    # how their details read and where their names come from (lms/audit/registry.py).
    ("audit",),
    # Accounts: every domain may use it; it records its privileged changes into the audit log.
    ("accounts",),
    # Uploads: the resumable upload protocol and media records, infrastructure over storage, media and
    # jobs that knows who uploads (accounts) and nothing of circles; a domain decides who may see.
    ("uploads",),
    # The account pages (profile, sign-in): a refused profile form keeps the avatar chosen as the
    # person's own upload (lms.uploads keep_images), as every form that takes an image does. Nothing
    # imports a routes module but the app factory (SPLIT below).
    ("accounts.routes",),
    # Notifications: one service every domain calls (store, push to the bell, mail, digest). It knows
    # people (accounts) and nothing of circles: the caller passes the words and the link; a domain
    # registers its kinds (lms/notifications/kinds.py).
    ("notifications",),
    # Circles: every domain may use it (STYLE.md), so it sits under every other domain.
    ("circles",),
    # Orgs group circles: an organization lists, places and oversees circles, so orgs depends on
    # circles and never the other way. What the circles need from organizations (is this person an
    # admin of the circle's organization, may they see an avatar) the orgs package registers into
    # hooks the circles and accounts own.
    ("orgs",),
    # Moderation's low half (lms/moderation/policy.py, models.py, notifications.py): every writing domain
    # screens its text and counts its writes there; it knows circles, orgs (whose admins hear of reports) and
    # accounts, no content domain (SPLIT below).
    ("moderation.policy",),
    # School sign-in (OpenID Connect providers, linked external identities): above accounts and orgs
    # (an organization's provider, its exclusive sign-in); accounts learns of it through a hook.
    ("identity",),
    # Roster sync (OneRoster CSV): maps a school's classes, users and enrollments onto an organization's
    # circles, accounts and memberships through their operations; nothing imports it.
    ("roster_sync",),
    # Groups inside a circle (sets of its students); peer review learns of them through a source the app
    # registers (lms/reviews/groups.py), so neither imports the other.
    ("groups",),
    # The calendar gathers dated things (due times, scheduled notices, later live lessons and
    # check-ins) from the domains above, which register their sources into it.
    ("calendar",),
    # A circle's files (folders, versions, trash, streamed ZIPs): homework builds its assignment ZIP
    # with files' archive, never the other way (DESIGN.md: homework, feed, checkins → files).
    ("files",),
    # Notices, the circle feed and the circle's home page sections.
    ("feed",),
    ("homework",),
    # Peer review of homework (allocation, reviews, calibration): reviews → homework; grading reads
    # peer scores from it.
    ("reviews",),
    ("grading",),  # grading → homework, never back (DESIGN.md §2)
    # Live lessons: schedule, room, video, attendance; attendance becomes a gradebook item (live → grading).
    ("live",),
    # Daily check-ins: tasks, streaks, the board; the completion rate becomes a gradebook item (checkins →
    # grading), a text's length is counted as reviews count words (checkins → reviews).
    ("checkins",),
    # Circle chat (channels, messages, the /chat namespace): screens and counts its writes with moderation's
    # policy; moderation's queue hides, deletes and approves its messages through its operations.
    ("chat",),
    # The school admin's console (lms/orgs/console): every class of an organization with its figures, read in
    # aggregate queries over the teaching domains' tables, and its terms; nothing imports it but the factory.
    ("orgs.console",),
    # LTI 1.3 tool (launch from Canvas, Moodle): links a platform's people to accounts through identity's
    # ExternalIdentity, maps its courses onto circles, syncs their rosters and sends released grades
    # (homework, grading) to their gradebooks; nothing imports it.
    ("lti",),
    # The JSON API v1 and personal access tokens: reads the domains below through their queries and
    # predicates (circles, homework, grading; orgs for who manages whose tokens); nothing imports it.
    ("api",),
    # Moderation's queue and actions: reports point at posts, comments, chat messages, video comments,
    # check-ins and members, so it reads and changes those domains; nothing imports it.
    ("moderation",),
    ("admin",),  # the site admin's pages over every domain
    # Account merge: moves every row that references a user, so it reads every domain's tables;
    # nothing imports it but the app factory.
    ("merge",),
    # The application: the factory, the CLI and the demo data assemble everything.
    ("demo",),
    ("cli",),  # `flask demo` loads the demo data
    ("lms",),
]

#: Imports that point up on purpose, each with its reason.
ALLOWED = {
    # The RQ entry point: a worker process started by plain `rq worker` (not `flask jobs worker`,
    # which passes its app) builds the app itself, as any entry point does.
    ("lms.jobs.worker", "lms"),
}

LAYER_OF = {package: i for i, layer in enumerate(LAYERS) for package in layer}

#: Modules that form a lower layer than the rest of their package, as the layer they count in.
SPLIT = {"lms.accounts.routes": "accounts.routes",
         "lms.moderation.policy": "moderation.policy", "lms.moderation.models": "moderation.policy",
         "lms.moderation.notifications": "moderation.policy", "lms.orgs.console": "orgs.console"}


def module_name(path: Path) -> str:
    parts = path.relative_to(LMS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    """`lms.circles.routes.members` → circles; `lms` (the app factory) → lms."""
    for prefix, layer in SPLIT.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "lms"


def _is_module(dotted: str) -> bool:
    path = LMS.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """The lms modules `path` imports, with line numbers, wherever the import stands."""
    module = module_name(path)
    package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[:len(package_parts) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from lms import accounts` imports the package lms.accounts, not the app factory
            submodules = [f"{source}.{a.name}" for a in node.names if _is_module(f"{source}.{a.name}")]
            found += [(m, node.lineno) for m in submodules] or [(source, node.lineno)]
    return [(name, line) for name, line in found if name == "lms" or name.startswith("lms.")]


def violations() -> list[str]:
    found = []
    for path in sorted(LMS.rglob("*.py")):
        module = module_name(path)
        package = package_of(module)
        assert package in LAYER_OF, f"{package} (lms/{package}) has no place in LAYERS: give it one"
        for target, line in imported_modules(path):
            target_package = package_of(target)
            if target_package == package:
                continue
            assert target_package in LAYER_OF, f"{module} imports {target}, which has no place in LAYERS"
            if LAYER_OF[target_package] >= LAYER_OF[package] and (module, target) not in ALLOWED:
                found.append(f"{module} imports {target} ({package} may not depend on {target_package})"
                             f"  [lms/{path.relative_to(LMS)}:{line}]")
    return found


def test_every_package_has_a_layer():
    """Is every package under lms/ placed in the layer order (a new one must be placed on purpose)?"""
    packages = {p.name for p in LMS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    packages |= {p.stem for p in LMS.glob("*.py") if p.stem != "__init__"}
    assert packages - set(LAYER_OF) == set()


def test_reader_sees_every_kind_of_import(tmp_path, monkeypatch):
    """Does the reader find function-local, TYPE_CHECKING, relative and `import lms.x` imports?"""
    root = tmp_path / "lms"
    (root / "circles").mkdir(parents=True)
    (root / "orgs").mkdir()
    for p in (root / "__init__.py", root / "orgs" / "__init__.py", root / "orgs" / "models.py",
              root / "circles" / "__init__.py"):
        p.write_text("")
    source = root / "circles" / "models.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import lms.orgs.models\n"
        "if TYPE_CHECKING:\n    from lms.orgs.models import Organization\n"
        "def f():\n    from lms.orgs import models\n"
        "from ..orgs import models as m\n"
        "from . import queries\n"
        "import json\n")
    monkeypatch.setitem(globals(), "LMS", root)
    assert sorted(name for name, _line in imported_modules(source)) == [
        "lms.circles", "lms.orgs.models", "lms.orgs.models", "lms.orgs.models", "lms.orgs.models"]


def test_dependencies_point_one_way():
    """Does any module import a package of its own layer or of a higher one?"""
    found = violations()
    print("\n".join(found))
    assert found == [], f"{len(found)} imports point the wrong way:\n" + "\n".join(found)
