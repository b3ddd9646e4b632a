"""Vendor admins manage their own tenant in the portal: name, logo and colours, language, time
zone, base currency, notification e-mails; each change audited with before and after, and
applied where the portal reads it. The page also lists every app's settings section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from prm.audit.models import AuditEvent
from prm.lib.colours import DARK_TEXT, LIGHT_TEXT, contrast_ratio, shade, text_on
from prm.notifications.services import notify
from prm.roles import Role
from prm.settings_sections import SettingsSection, register_settings_section, settings_sections_for
from prm.tenancy.models import Tenant
from prm.tenancy.services import tenant_settings_update
from prm.workflow import DomainError
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _form(tenant: Tenant, **changes) -> dict:
    data = {
        "name": tenant.name,
        "display_name": tenant.display_name,
        "primary_colour": tenant.primary_colour,
        "accent_colour": tenant.accent_colour,
        "default_language": tenant.default_language,
        "time_zone": tenant.time_zone,
        "base_currency": tenant.base_currency,
        "notification_reply_to": "\n".join(tenant.notification_reply_to),
    }
    data.update(changes)
    return data


def _post(cast, **changes):
    tenant = Tenant.objects.get(pk=cast.a.tenant.pk)
    return cast.a.client("admin").post("/settings/", _form(tenant, **changes))


def _events(cast):
    with cast.a.context():
        return list(AuditEvent.objects.filter(action="tenant.settings_update").order_by("pk"))


def test_vendor_admin_sees_the_settings_and_every_apps_section_with_current_values(cast):
    response = cast.a.client("admin").get("/settings/")
    assert response.status_code == 200
    assert response.context["form"].initial["base_currency"] == "USD"
    sections = {s["key"]: s for s in response.context["sections"]}
    assert list(sections) == ["deals", "claims", "funds", "finance"]
    values = {v["label"]: v["value"] for v in sections["claims"]["values"]}
    assert values == {"Claim window (days)": 90, "Payment term (days)": 30}
    assert {v["label"]: v["value"] for v in sections["deals"]["values"]}["Protection period (days)"] == 90
    html = response.content.decode()
    for url in ("/deals/settings/", "/claims/settings/", "/funds/settings/", "/finance/settings/"):
        assert f'href="{url}"' in html
    assert "Channel manager approves up to" in html and "5,000" in html


@pytest.mark.parametrize("who", ["manager", "marketing", "finance", "p1_admin", "p1_user"])
def test_only_vendor_admins_may_open_or_change_the_tenant_settings(cast, who):
    client = cast.a.client(who)
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", _form(cast.a.tenant, name="Hijacked")).status_code == 403
    assert Tenant.objects.get(pk=cast.a.tenant.pk).name == "Acme Industrial"


def test_the_service_refuses_anyone_but_a_vendor_admin(cast):
    with cast.a.context(), pytest.raises(PermissionDenied):
        tenant_settings_update(acting_membership=cast.a.memberships["manager"], data={"name": "X"})
    assert Tenant.objects.get(pk=cast.a.tenant.pk).name == "Acme Industrial"


def test_saving_applies_the_changes_and_audits_only_what_changed_before_and_after(cast):
    response = _post(
        cast,
        name="Acme Industrial GmbH",
        primary_colour="#112233",
        time_zone="Europe/Berlin",
        notification_reply_to="channel@acme.example, Partners@acme.example",
    )
    assert response.status_code == 302 and response["Location"] == "/settings/"
    tenant = Tenant.objects.get(pk=cast.a.tenant.pk)
    assert (tenant.name, tenant.primary_colour, tenant.time_zone) == (
        "Acme Industrial GmbH",
        "#112233",
        "Europe/Berlin",
    )
    assert tenant.notification_reply_to == ["channel@acme.example", "Partners@acme.example"]
    [event] = _events(cast)
    assert event.actor == cast.a.users["admin"]
    assert event.before == {
        "name": "Acme Industrial",
        "primary_colour": "#0d6efd",
        "time_zone": "UTC",
        "notification_reply_to": [],
    }
    assert event.after == {
        "name": "Acme Industrial GmbH",
        "primary_colour": "#112233",
        "time_zone": "Europe/Berlin",
        "notification_reply_to": ["channel@acme.example", "Partners@acme.example"],
    }
    page = cast.a.client("admin").get("/settings/").content.decode()
    assert re.search(r'data-testid="settings-history".*primary_colour', page, re.S)


def test_saving_without_a_change_records_nothing(cast):
    assert _post(cast).status_code == 302
    assert _events(cast) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_colour", "red", "Use a hex colour such as #0d6efd."),
        ("accent_colour", "#12345", "Use a hex colour such as #0d6efd."),
        ("base_currency", "XYZ", "Select a valid choice."),
        ("base_currency", "DEM", "Select a valid choice."),
        ("time_zone", "Mars/Olympus_Mons", "Select a valid choice."),
        ("default_language", "fr", "Select a valid choice."),
        (
            "notification_reply_to",
            "ok@acme.example, not-an-address",
            "not-an-address is not an e-mail address.",
        ),
        ("name", "", "This field is required."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(cast, field, value, message):
    response = _post(cast, **{field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Tenant.objects.get(pk=cast.a.tenant.pk).name == "Acme Industrial"
    assert _events(cast) == []


def test_the_service_names_the_field_it_refuses(cast):
    with cast.a.context(), pytest.raises(DomainError, match="Base currency: XYZ is not a currency in use"):
        tenant_settings_update(acting_membership=cast.a.memberships["admin"], data={"base_currency": "XYZ"})
    with cast.a.context(), pytest.raises(DomainError, match="Time zone: Moon/Base is not a known time zone"):
        tenant_settings_update(acting_membership=cast.a.memberships["admin"], data={"time_zone": "Moon/Base"})


@pytest.mark.parametrize(
    ("content", "suffix", "content_type"), [(PNG, ".png", "image/png"), (WEBP, ".webp", "image/webp")]
)
def test_a_png_or_webp_logo_is_stored_in_the_tenants_folder_and_served(cast, content, suffix, content_type):
    logo = SimpleUploadedFile("logo.svg", content)  # the name says nothing: the content decides
    response = cast.a.client("admin").post("/settings/", {**_form(cast.a.tenant), "logo": logo})
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=cast.a.tenant.pk)
    assert tenant.logo.name.startswith(f"tenants/{tenant.pk}-acme/branding/") and tenant.logo.name.endswith(
        suffix
    )
    assert (Path(settings.MEDIA_ROOT) / tenant.logo.name).read_bytes() == content
    served = cast.a.client().get("/brand/logo/")
    assert served.status_code == 200 and served["Content-Type"] == content_type
    assert b"".join(served.streaming_content) == content
    [event] = _events(cast)
    assert event.before == {"logo": ""} and event.after == {"logo": tenant.logo.name}
    # The sign-in page shows it, with the branding version that changes with every new logo.
    assert (
        f'src="/brand/logo/?v={tenant.branding_version}"'
        in cast.a.client().get("/accounts/login/").content.decode()
    )


@pytest.mark.parametrize("content", [SVG, b"GIF89a" + b"\x00" * 32, b"%PDF-1.7\n"])
def test_an_svg_or_other_file_is_refused_as_a_logo(cast, content):
    logo = SimpleUploadedFile("logo.png", content)
    response = cast.a.client("admin").post("/settings/", {**_form(cast.a.tenant), "logo": logo})
    assert response.status_code == 200
    assert "use a PNG, JPEG or WebP image" in response.content.decode()
    assert not Tenant.objects.get(pk=cast.a.tenant.pk).logo
    assert not list((Path(settings.MEDIA_ROOT)).rglob("branding/*"))
    assert _events(cast) == []


def test_a_logo_larger_than_two_megabytes_is_refused(cast):
    logo = SimpleUploadedFile("big.png", PNG + b"\x00" * (2 * 1024 * 1024))
    response = cast.a.client("admin").post("/settings/", {**_form(cast.a.tenant), "logo": logo})
    assert "larger than the limit of 2 MB" in response.content.decode()


def test_the_logo_can_be_removed(cast):
    client = cast.a.client("admin")
    client.post("/settings/", {**_form(cast.a.tenant), "logo": SimpleUploadedFile("l.png", PNG)})
    client.post("/settings/", {**_form(cast.a.tenant), "remove_logo": "on"})
    assert not Tenant.objects.get(pk=cast.a.tenant.pk).logo
    assert cast.a.client().get("/brand/logo/").status_code == 404


def test_a_new_default_language_shows_the_portal_in_german_to_people_without_their_own(cast):
    assert _post(cast, default_language="de").status_code == 302
    with cast.a.context():
        newcomer = UserFactory(email="newcomer@northwind.test", language="")
        MembershipFactory(user=newcomer, role=Role.PARTNER_USER, partner=cast.a.partners["p1"])
    client = cast.a.client()
    client.force_login(newcomer)
    response = client.get("/")
    assert response.headers["Content-Language"] == "de"
    assert '<html lang="de"' in response.content.decode()
    assert "Partnerportal" in response.content.decode()
    # The sign-in page of a first visit too; a person's own choice still wins.
    assert cast.a.client().get("/accounts/login/").headers["Content-Language"] == "de"
    cast.a.users["p1_user"].language = "en"
    cast.a.users["p1_user"].save(update_fields=["language"])
    assert cast.a.client("p1_user").get("/").headers["Content-Language"] == "en"


def test_a_new_base_currency_is_used_where_the_portal_reads_it(cast):
    assert _post(cast, base_currency="EUR").status_code == 302
    funds = cast.a.client("admin").get("/funds/settings/").content.decode()
    assert "Amounts in EUR" in funds
    registration = cast.a.client("p1_admin").get("/deals/new/")
    assert registration.context["form"].initial["currency"] == "EUR"
    [event] = _events(cast)
    assert (event.before, event.after) == ({"base_currency": "USD"}, {"base_currency": "EUR"})


def test_notification_emails_carry_the_tenants_reply_to_addresses(cast, django_capture_on_commit_callbacks):
    _post(cast, notification_reply_to="channel@acme.example")
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[cast.a.users["p1_user"]], verb="test", message="Your registration was approved.")
    [message] = mail.outbox
    assert message.to == ["p1_user@acme.test"] and message.reply_to == ["channel@acme.example"]


def test_brand_css_follows_the_colours_with_a_readable_text_colour(cast):
    _post(cast, primary_colour="#ffeb3b", accent_colour="#123456")
    tenant = Tenant.objects.get(pk=cast.a.tenant.pk)
    css = cast.a.client().get(f"/brand.css?v={tenant.branding_version}")
    body = css.content.decode()
    assert "--brand: #ffeb3b; --brand-text: #212529;" in body
    assert "--bs-btn-bg: #123456;" in body and "--bs-btn-color: #ffffff;" in body
    assert css["Cache-Control"] == "max-age=86400"
    page = cast.a.client("p1_user").get("/").content.decode()
    assert f'href="/brand.css?v={tenant.branding_version}"' in page
    top_bar = re.search(r'<nav class="([^"]*)" data-testid="top-bar">', page)
    assert top_bar and "navbar-dark" not in top_bar.group(1)  # dark text on a yellow bar


def test_the_settings_page_is_in_the_administration_area_for_vendor_admins_only(cast):
    def admin_entries(who):
        areas = {a["key"]: a for a in cast.a.client(who).get("/").context["nav_areas"]}
        return [str(i["label"]) for i in areas.get("admin", {"items": []})["items"]]

    assert admin_entries("admin")[0] == "Tenant settings"
    assert "Tenant settings" not in admin_entries("manager")


def test_sections_are_shown_to_the_roles_that_may_open_them(cast):
    with cast.a.context():
        finance = [s["key"] for s in settings_sections_for(cast.a.memberships["finance"])]
        marketing = [s["key"] for s in settings_sections_for(cast.a.memberships["marketing"])]
    assert finance == ["finance"]
    assert marketing == ["funds"]


def test_a_section_registered_twice_differently_is_refused():
    from prm.roles import Perm

    section = SettingsSection("deals", "Other", "home", Perm.DASHBOARD_VIEW)
    with pytest.raises(ValueError, match="registered twice"):
        register_settings_section(section)


def test_text_on_a_colour_is_whichever_contrasts_more():
    assert text_on("#000000") == LIGHT_TEXT and text_on("#ffffff") == DARK_TEXT
    assert text_on("#0d6efd") == LIGHT_TEXT and text_on("#ffeb3b") == DARK_TEXT
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert shade("#ffffff", 0.5) == "#808080" and shade("#123456", 0) == "#123456"


def test_reading_the_settings_page_writes_nothing(cast):
    client = cast.a.client("admin")
    client.get("/settings/")
    with cast.a.context():
        from deals.models import DealSettings

        assert not DealSettings.objects.exists()
