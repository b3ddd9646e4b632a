"""Agreement templates and signing: the evidence recorded, the hashes, the lock other apps use."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from partners.models import Agreement, Partner
from partners.selectors import (
    AgreementNotSigned,
    agreement_signed,
    current_agreement_template,
    require_signed_agreement,
)
from partners.services.agreements import (
    agreement_prepare,
    agreement_sign,
    agreement_template_create,
    agreement_template_publish,
)
from prm.audit.models import AuditEvent
from prm.workflow import DomainError, InvalidTransition
from tests.partners import helpers

pytestmark = pytest.mark.django_db


def _sha(relative: str) -> str:
    return hashlib.sha256((Path(settings.MEDIA_ROOT) / relative).read_bytes()).hexdigest()


def _sign(cast, agreement, **overrides):
    kwargs = {
        "agreement": agreement,
        "acting_membership": cast.a.memberships["p1_admin"],
        "signer_name": "  Nora   Northwind ",
        "consent": True,
        "document_sha256": agreement.document_sha256,
        "ip": "203.0.113.9",
        "user_agent": "Firefox/140",
    }
    kwargs.update(overrides)
    return agreement_sign(**kwargs)


def test_signing_records_the_evidence_and_the_hashes_match_the_stored_pdfs(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(status=Partner.Status.ONBOARDING)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        assert agreement.document_path.startswith(f"tenants/{cast.a.tenant.pk}-acme/agreements/")
        assert _sha(agreement.document_path) == agreement.document_sha256
        assert not agreement_signed(cast.a.partners["p1"])
        signed = _sign(cast, agreement)
        assert (signed.status, signed.signer_name, signed.consent) == ("signed", "Nora Northwind", True)
        assert (signed.signer_ip, signed.signer_user_agent, signed.signer) == (
            "203.0.113.9",
            "Firefox/140",
            cast.a.users["p1_admin"],
        )
        assert signed.signed_at is not None
        assert _sha(signed.signed_pdf_path) == signed.signed_pdf_sha256 != signed.document_sha256
        assert (Path(settings.MEDIA_ROOT) / signed.signed_pdf_path).read_bytes().startswith(b"%PDF")
        event = AuditEvent.objects.get(action="agreement.sign")
        assert event.after["document_sha256"] == agreement.document_sha256
        assert agreement_signed(cast.a.partners["p1"])
        assert Partner.objects.get(pk=cast.a.partners["p1"].pk).status == Partner.Status.ACTIVE
        assert AuditEvent.objects.filter(action="partner.activate").exists()


def test_signing_without_consent_or_name_is_refused_and_nothing_is_written(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        for bad in ({"consent": False}, {"signer_name": "  "}, {"document_sha256": "0" * 64}):
            with pytest.raises(DomainError):
                _sign(cast, agreement, **bad)
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.PENDING
        assert not AuditEvent.objects.filter(action="agreement.sign").exists()


def test_a_tampered_document_cannot_be_signed(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        (Path(settings.MEDIA_ROOT) / agreement.document_path).write_bytes(b"%PDF-1.7 changed")
        with pytest.raises(DomainError):
            _sign(cast, agreement)


def test_only_the_partners_own_admin_signs(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        for who in ("p1_user", "p2_admin", "manager"):
            with pytest.raises(PermissionDenied):
                _sign(cast, agreement, acting_membership=cast.a.memberships[who])


def test_signing_twice_is_an_invalid_transition(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        _sign(cast, agreement)
        with pytest.raises(InvalidTransition):
            _sign(cast, agreement)


def test_new_version_requiring_resign_locks_until_signed_again(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast, signed=True)
        partner = cast.a.partners["p1"]
        assert agreement_signed(partner)
        draft = agreement_template_create(
            program=program,
            acting_membership=cast.a.memberships["manager"],
            title="Agreement 2027",
            body="{{ partner_name }} agrees.",
            requires_resign=True,
        )
        assert agreement_signed(partner)  # drafts change nothing
        agreement_template_publish(template=draft, acting_membership=cast.a.memberships["manager"])
        assert current_agreement_template(program.pk) == draft
        assert not agreement_signed(partner)
        with pytest.raises(AgreementNotSigned):
            require_signed_agreement(partner)
        assert (
            AuditEvent.objects.filter(
                action__in=["agreement_template.publish", "agreement_template.retire"]
            ).count()
            == 2
        )


def test_new_version_without_resign_keeps_earlier_signatures_valid(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast, signed=True)
        draft = agreement_template_create(
            program=program,
            acting_membership=cast.a.memberships["admin"],
            title="Typo fix",
            body="Text",
            requires_resign=False,
        )
        agreement_template_publish(template=draft, acting_membership=cast.a.memberships["admin"])
        assert agreement_signed(cast.a.partners["p1"])
        assert not agreement_signed(cast.a.partners["p2"])


def test_unknown_merge_fields_are_refused(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        with pytest.raises(DomainError):
            agreement_template_create(
                program=program, acting_membership=cast.a.memberships["admin"], title="x", body="{{ secret }}"
            )


def test_partner_without_program_has_nothing_to_sign(cast):
    with cast.a.context():
        assert agreement_signed(cast.a.partners["p1"])


def test_merge_fields_are_escaped_in_the_document(cast):
    from partners.pdf import merged_body_html

    html = merged_body_html("Dear {{ partner_name }}", {"partner_name": "<script>x</script>"})
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db(transaction=True)
def test_the_signed_copy_is_rendered_before_the_row_lock(cast, monkeypatch):
    """Rendering a PDF is slow: it must not run while the agreement row is locked."""
    from django.db import connection

    from partners.services import agreements as service

    with cast.a.context():
        helpers.program_with_partners(cast)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        seen = []
        render = service.agreement_pdf

        def watched(template, partner, signature=None):
            if signature is not None:
                seen.append(connection.in_atomic_block)
            return render(template, partner, signature=signature)

        monkeypatch.setattr(service, "agreement_pdf", watched)
        signed = _sign(cast, agreement)
        assert seen == [False]
        assert signed.status == Agreement.Status.SIGNED
        assert _sha(signed.signed_pdf_path) == signed.signed_pdf_sha256


def test_a_signed_copy_rendered_for_a_signature_that_lost_the_race_is_removed(cast, monkeypatch):
    from partners.services import agreements as service

    with cast.a.context():
        helpers.program_with_partners(cast)
        agreement = agreement_prepare(
            partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["p1_admin"]
        )
        folder = Path(settings.MEDIA_ROOT) / Path(agreement.document_path).parent
        before = set(folder.iterdir())
        render = service.agreement_pdf

        def someone_else_signs_meanwhile(template, partner, signature=None):
            Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.SIGNED)
            return render(template, partner, signature=signature)

        monkeypatch.setattr(service, "agreement_pdf", someone_else_signs_meanwhile)
        with pytest.raises(InvalidTransition):
            _sign(cast, agreement)
        assert set(folder.iterdir()) == before
        assert not AuditEvent.objects.filter(action="agreement.sign").exists()
