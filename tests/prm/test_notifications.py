"""In-app notifications with an unread count; e-mail copies go out when the transaction commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from prm.notifications.models import Notification
from prm.notifications.services import notify

pytestmark = pytest.mark.django_db


def _notify(cast, who="p1_user", message="Deal D-1 was approved", url="/jobs/"):
    with cast.a.context():
        ids = notify(recipients=[cast.a.users[who]], verb="deal.approved", message=message, url=url)
    return ids[0]


def test_notify_creates_one_row_per_recipient_and_emails_after_commit(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    users = [cast.a.users["p1_user"], cast.a.users["p1_admin"], cast.a.users["p1_user"], None]
    with django_capture_on_commit_callbacks(execute=False) as callbacks, cast.a.context():
        with transaction.atomic():
            ids = notify(
                recipients=users, verb="deal.approved", message="Deal D-1 was approved", url="/jobs/"
            )
        assert len(ids) == 2
        assert set(Notification.objects.filter(pk__in=ids).values_list("recipient__email", flat=True)) == {
            "p1_user@acme.test",
            "p1_admin@acme.test",
        }
    assert mailoutbox == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert sorted(m.to[0] for m in mailoutbox) == ["p1_admin@acme.test", "p1_user@acme.test"]
    message = mailoutbox[0]
    assert "Acme Industrial" in message.subject
    assert "Deal D-1 was approved" in message.body
    assert "http://acme.localhost:8000/jobs/" in message.body


def test_no_email_when_the_transaction_rolls_back(cast, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), cast.a.context():
        try:
            with transaction.atomic():
                notify(recipients=[cast.a.users["p1_user"]], verb="x", message="never")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
        assert not Notification.objects.filter(message="never").exists()
    assert mailoutbox == []


def test_unread_count_badge(cast):
    _notify(cast)
    _notify(cast, message="Second")
    _notify(cast, who="p2_user", message="Not mine")
    client = cast.a.client("p1_user")
    badge = client.get("/notifications/badge/")
    assert badge.status_code == 200
    assert b'data-testid="unread-count">2<' in badge.content
    assert client.get("/").context["unread_notifications"] == 2
    page = client.get("/notifications/")
    assert [n.message for n in page.context["page"]] == ["Second", "Deal D-1 was approved"]


def test_no_badge_without_unread_notifications(cast):
    assert b"unread-count" not in cast.a.client("p1_user").get("/notifications/badge/").content


def test_opening_marks_read_and_follows_the_local_link(cast):
    pk = _notify(cast, url="/jobs/?page=2")
    client = cast.a.client("p1_user")
    response = client.post(f"/notifications/{pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/jobs/?page=2"
    with cast.a.context():
        assert Notification.objects.get(pk=pk).read_at is not None
    assert b"unread-count" not in client.get("/notifications/badge/").content


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/phish", "//evil.example/phish", "http://globex.localhost/", "javascript:alert(1)"],
)
def test_opening_never_follows_an_external_link(cast, url):
    pk = _notify(cast, url=url)
    response = cast.a.client("p1_user").post(f"/notifications/{pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"


def test_mark_all_read(cast):
    for i in range(3):
        _notify(cast, message=f"n{i}")
    other = _notify(cast, who="p2_user")
    response = cast.a.client("p1_user").post("/notifications/read-all/")
    assert response.status_code == 302
    with cast.a.context():
        assert not Notification.objects.filter(
            recipient=cast.a.users["p1_user"], read_at__isnull=True
        ).exists()
        assert Notification.objects.get(pk=other).read_at is None


def test_another_users_notification_answers_404_and_stays_unread(cast):
    pk = _notify(cast, who="p1_admin")
    for client in (cast.a.client("p1_user"), cast.a.client("p2_user"), cast.a.client("admin")):
        assert client.post(f"/notifications/{pk}/open/").status_code == 404
    with cast.a.context():
        assert Notification.objects.get(pk=pk).read_at is None


def test_another_tenants_notification_answers_404(cast):
    with cast.b.context():
        (pk,) = notify(recipients=[cast.b.users["p1_admin"]], verb="x", message="globex only")
    client = cast.a.client()
    client.force_login(cast.b.users["p1_admin"])
    # On acme's host the globex member has no access at all; the id of a globex row means nothing.
    assert client.post(f"/notifications/{pk}/open/").status_code in (403, 404)
    assert cast.a.client("p1_user").post(f"/notifications/{pk}/open/").status_code == 404


def test_a_line_break_in_user_text_does_not_lose_the_email(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    # A company name typed with a line break ends up in the subject; the e-mail must still go out.
    with django_capture_on_commit_callbacks(execute=True), cast.a.context():
        notify(
            recipients=[cast.a.users["p1_user"]],
            verb="deal.approved",
            message="Registration for Contoso\r\nBadHeader Ltd.\nwas approved",
            url="/jobs/",
        )
    assert len(mailoutbox) == 1
    subject = mailoutbox[0].subject
    assert "\n" not in subject and "\r" not in subject
    assert subject == "[Acme Industrial] Registration for Contoso BadHeader Ltd. was approved"
    assert "BadHeader Ltd." in mailoutbox[0].body


def test_each_recipient_reads_a_notification_in_their_own_language(cast):
    """Given as a function, the message is written for each recipient: the German speaker reads
    German, the English speaker English, whatever the language of the person who acted."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    german, english = cast.a.users["p1_user"], cast.a.users["p1_admin"]
    with cast.a.context(), translation.override("en"):
        german.language = "de"
        german.save(update_fields=["language"])
        ids = notify(
            recipients=[german, english],
            verb="deal.submitted",
            message=lambda: _("%(ref)s was submitted for review.") % {"ref": "DR-1"},
        )
        texts = dict(Notification.objects.filter(pk__in=ids).values_list("recipient__email", "message"))
    assert texts == {
        german.email: "DR-1 wurde zur Prüfung eingereicht.",
        english.email: "DR-1 was submitted for review.",
    }


def test_a_deal_submitted_in_english_notifies_a_german_partner_in_german(cast):
    from deals.models import DealRegistration
    from tests.deals.helpers import register

    admin = cast.a.users["p1_admin"]
    with cast.a.context():
        admin.language = "de"
        admin.save(update_fields=["language"])
        register(cast, "p1_user")  # p1_user works in English (no saved language, tenant default en)
        reference = DealRegistration.objects.get().reference
        by_user = dict(
            Notification.objects.filter(verb="deal.submitted").values_list("recipient__email", "message")
        )
    assert by_user[admin.email] == f"{reference} wurde zur Prüfung eingereicht."
    assert by_user[cast.a.users["p1_user"].email] == f"{reference} was submitted for review."


def test_a_suspension_is_written_to_the_partner_in_its_language(cast):
    from partners.services.lifecycle import partner_suspend

    admin = cast.a.users["p1_admin"]
    partner = cast.a.partners["p1"]
    with cast.a.context():
        admin.language = "de"
        admin.save(update_fields=["language"])
        partner.status = "active"
        partner.save(update_fields=["status"])
        partner_suspend(partner=partner, acting_membership=cast.a.memberships["admin"], reason="Audit")
        texts = dict(
            Notification.objects.filter(verb="partner.suspend").values_list("recipient__email", "message")
        )
    assert texts[admin.email] == f"{partner.name} ist gesperrt: Audit"
