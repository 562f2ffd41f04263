"""Does every column that references a user have a merge rule, and does each rule name a real column?"""
from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.merge.operations import unique_keys, user_columns
from lms.merge.rules import RULES, RuleKind


def test_every_user_reference_has_a_rule(app):
    """Does a foreign key to users.id without a merge rule fail here (a new table needs one on purpose)?"""
    columns = {(c.table.name, c.name) for c in user_columns()}
    assert len(columns) > 50
    missing = sorted(columns - set(RULES))
    assert missing == [], ("these columns reference users.id and have no rule in lms/merge/rules.py: "
                           + ", ".join(f"{t}.{c}" for t, c in missing))


def test_a_column_in_a_unique_key_never_moves_blindly(app):
    """Does every column that is part of a unique key (constraint, primary key, unique index) move
    only where the kept account has no row with that key (MOVE_UNIQUE) or stay (LEAVE)? A plain MOVE
    would fail the whole merge on the first shared key."""
    blind = [f"{c.table.name}.{c.name}" for c in user_columns()
             if unique_keys(c) and RULES[(c.table.name, c.name)].kind == RuleKind.move]
    assert blind == []


def test_no_rule_names_a_column_that_is_gone(app):
    """Is every rule about a column that still references users.id (no stale rules)?"""
    columns = {(c.table.name, c.name) for c in user_columns()}
    assert sorted(set(RULES) - columns) == []


def test_discovery_sees_a_new_table(app):
    """Would a table added tomorrow with a user column be found by the discovery the test relies on?"""
    import sqlalchemy as sa

    table = sa.Table("merge_probe", db.metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("owner_id", sa.ForeignKey("users.id")))
    try:
        assert ("merge_probe", "owner_id") in {(c.table.name, c.name) for c in user_columns()}
        assert ("merge_probe", "owner_id") not in RULES
    finally:
        db.metadata.remove(table)


def _id_like_columns() -> set[tuple[str, str]]:
    """Columns without a foreign key that could hold a user id: integer *_id / *_to columns and JSON."""
    found = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.foreign_keys or column.primary_key:
                continue
            if isinstance(column.type, sa.JSON) or (isinstance(column.type, sa.Integer)
                                                    and column.name.endswith(("_id", "_to"))):
                found.add((table.name, column.name))
    return found


def test_every_user_id_without_a_foreign_key_is_known(app):
    """Is every id-like or JSON column without a foreign key either a registered user reference (with a
    rule: roster_links.local_id moves) or known to hold no user id? A new one fails here until decided."""
    from lms.merge.rules import NON_FK_REFERENCES, NOT_USER_IDS

    columns = _id_like_columns()
    unknown = sorted(columns - set(NON_FK_REFERENCES) - set(NOT_USER_IDS))
    assert unknown == [], ("decide for these columns in lms/merge/rules.py (NON_FK_REFERENCES or NOT_USER_IDS): "
                           + ", ".join(f"{t}.{c}" for t, c in unknown))
    assert sorted((set(NON_FK_REFERENCES) | set(NOT_USER_IDS)) - columns) == []
    assert not set(NON_FK_REFERENCES) & set(NOT_USER_IDS)
    for (table, column), reference in NON_FK_REFERENCES.items():
        assert all(name in db.metadata.tables[table].c for name, _value in reference.when)
    assert NON_FK_REFERENCES[("roster_links", "local_id")].rule.kind == RuleKind.move


def test_discovery_sees_a_new_id_column_without_a_foreign_key(app):
    table = sa.Table("merge_probe2", db.metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("person_id", sa.Integer))
    try:
        assert ("merge_probe2", "person_id") in _id_like_columns()
    finally:
        db.metadata.remove(table)
