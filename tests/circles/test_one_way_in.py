"""One way in: every path that makes someone an active member goes through one function, which holds
the rule that keeps removed members out."""
from __future__ import annotations

import ast
from pathlib import Path

import lms

ROOT = Path(lms.__file__).parent


def _functions_doing(predicate) -> set[str]:
    """'module:function' of every function in lms/ whose body does what `predicate` finds."""
    found = set()
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(predicate(node) for node in ast.walk(func)):
                    found.add(f"{path.relative_to(ROOT).as_posix()}:{func.name}")
    return found


def _is_activation(node) -> bool:
    """`x.status = MembershipStatus.active`, or `status=MembershipStatus.active` passed to a call."""
    def is_active(value):
        return (isinstance(value, ast.Attribute) and value.attr == "active"
                and isinstance(value.value, ast.Name) and value.value.id == "MembershipStatus")
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Attribute) and t.attr == "status" for t in node.targets) and is_active(node.value)
    if isinstance(node, ast.Call):
        return any(k.arg == "status" and is_active(k.value) for k in node.keywords)
    return False


def _creates_membership(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Membership"


def test_only_activate_makes_members_active():
    """Is `_activate` (which refuses removed members unless readmitted) the only code that sets a
    membership active? A new path must call it, not set the status itself."""
    assert _functions_doing(_is_activation) == {"circles/operations/membership.py:_activate"}


def test_memberships_are_created_in_two_places_only():
    """Are membership rows created only by `_activate` and by a join request (pending), both of
    which check for a removed member first?"""
    assert _functions_doing(_creates_membership) == {"circles/operations/membership.py:_activate",
                                                     "circles/operations/joining.py:request_to_join"}
