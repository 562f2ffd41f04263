"""The "only way in" notice on an organization's provider form shows only while its box is ticked (a small
script); without scripts the page shows it always and works the same."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.fixtures.services import require_service

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "identity" / "provider.js"

#: a document with the two elements the script reads; runs the script, then ticks and unticks the box
_DRIVER = """
const fs = require("fs");
const listeners = {};
const box = {checked: %(checked)s, addEventListener: (type, fn) => { listeners[type] = fn; }};
const details = {hidden: false};
global.document = {readyState: "complete", getElementById: (id) => ({is_exclusive: box, "exclusive-details": details})[id] || null};
eval(fs.readFileSync(%(path)s, "utf8"));
const seen = [details.hidden];
box.checked = true; listeners.change(); seen.push(details.hidden);
box.checked = false; listeners.change(); seen.push(details.hidden);
console.log(JSON.stringify(seen));
"""


def test_the_form_wraps_the_notice_and_loads_the_script(client_as, make):
    org = org_ops.create_org("North School")
    admin = make.user()
    org_ops.add_org_member(org, admin, OrgRole.admin)
    db.session.commit()
    page = client_as(admin).get(f"/orgs/{org.id}/sign-in/new").get_data(as_text=True)
    wrapper = page[page.index('<div id="exclusive-details">'):]
    assert wrapper.index("Only way in:") < wrapper.index('name="confirm_exclusive"')
    assert 'id="is_exclusive"' in page and "js/identity/provider.js" in page


@pytest.mark.parametrize("checked, expected", [("false", [True, False, True]), ("true", [False, False, True])])
def test_the_notice_follows_the_box(checked, expected):
    node = shutil.which("node")
    require_service("node", node is not None, "node is not on PATH (scripts/setup installs it)")
    driver = _DRIVER % {"checked": checked, "path": json.dumps(str(SCRIPT))}
    out = subprocess.run([node, "-e", driver], capture_output=True, text=True, timeout=30, check=True).stdout
    assert json.loads(out) == expected
