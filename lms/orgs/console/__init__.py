"""The school admin's console: every class of an organization at a glance, and its terms.

It reads the tables of the teaching domains (homework, grading, live, check-ins, notices, chat) in
aggregate queries, so it sits above them (tests/test_layers.py, layer "orgs.console"); the
organizations' own package stays below them."""
