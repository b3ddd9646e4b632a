"""What a member is shown, a member may open: for every role, every link on the home page and on
each page it links to answers (never 403 for a button the member was offered, never 500)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

ROLES = ("admin", "manager", "marketing", "finance", "p1_admin", "p1_user")
SKIP = ("/static/", "/media/", "/accounts/logout", "/i18n/", "/api/")
HREF = re.compile(r'href="(/[^"#]*)"')


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in HREF.findall(html) if not h.startswith(SKIP)]


@pytest.mark.parametrize("who", ROLES)
def test_every_link_a_member_is_shown_opens(cast, who):
    client = cast.a.client(who)
    home = client.get("/")
    assert home.status_code == 200
    first = list(dict.fromkeys(_links(home.content.decode())))
    refused: list[str] = []
    seen: set[str] = set()
    for link in first:
        page = client.get(link)
        seen.add(link)
        if page.status_code in (403, 500):
            refused.append(f"{link} -> {page.status_code} (from /)")
            continue
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for sub in dict.fromkeys(_links(page.content.decode())):
            if sub in seen:
                continue
            seen.add(sub)
            answer = client.get(sub)
            if answer.status_code in (403, 500):
                refused.append(f"{sub} -> {answer.status_code} (from {link})")
    assert refused == [], "\n".join(refused)
