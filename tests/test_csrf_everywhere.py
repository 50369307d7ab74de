"""Every state-changing route refuses a request without a CSRF token.

The test walks the URL map, so routes added later are covered without
anyone remembering to add them here.
"""
import re

from werkzeug.routing import IntegerConverter

from tests.factories import UserFactory

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# RFC 8058 one-click unsubscribe: mail clients POST without a session; the signed token is the proof.
EXEMPT = {"notifications.unsubscribe"}


def _fill(rule, user):
    values = {}
    for name in rule.arguments:
        number = isinstance(rule._converters[name], IntegerConverter)
        values[name] = 1 if number else (user.username if name == "username" else "x")
    return values


def test_every_unsafe_route_rejects_a_missing_token(app, admin_client, admin):
    rules = [r for r in app.url_map.iter_rules() if r.methods & UNSAFE and r.endpoint not in EXEMPT]
    assert len(rules) >= 4, "the walk should find the app's forms"
    UserFactory()
    for rule in rules:
        url = re.sub(r"//+", "/", rule.build(_fill(rule, admin), append_unknown=False)[1])
        for method in sorted(rule.methods & UNSAFE):
            response = admin_client.open(url, method=method, data={"anything": "1"})
            assert response.status_code == 400, f"{method} {url} answered {response.status_code} without a CSRF token"
