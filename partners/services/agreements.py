"""Agreement templates (versioned per program) and signing by the partner admin."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Agreement, AgreementTemplate, Partner, Program
from partners.pdf import agreement_pdf, unknown_merge_fields
from partners.selectors import current_agreement_template, partner_staff_recipients
from partners.services.onboarding import onboarding_refresh
from prm.accounts.models import Membership
from prm.audit.services import audit
from prm.files import resolve_tenant_file, store_bytes
from prm.jobs.services import task_enqueue
from prm.notifications.recipients import partner_members
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has, require_staff
from prm.workflow import DomainError, check_transition, require

T = AgreementTemplate.Status
TEMPLATE_TRANSITIONS = {T.DRAFT: frozenset({T.PUBLISHED}), T.PUBLISHED: frozenset({T.RETIRED})}
A = Agreement.Status
AGREEMENT_TRANSITIONS = {A.PENDING: frozenset({A.SIGNED})}


def agreement_template_create(
    *, program: Program, acting_membership: Membership, title: str, body: str, requires_resign: bool = True
) -> AgreementTemplate:
    """A new draft version of the program's agreement."""
    require_staff(acting_membership, Perm.PROGRAM_MANAGE)
    unknown = unknown_merge_fields(body)
    if unknown:
        raise DomainError(_("Unknown merge fields: %(fields)s") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        version = (
            AgreementTemplate.objects.filter(program=program).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        template = AgreementTemplate.objects.create(
            program=program,
            version=version,
            title=title,
            body=body,
            requires_resign=requires_resign,
            created_by=acting_membership.user,
        )
        audit(
            actor=acting_membership.user,
            action="agreement_template.create",
            obj=template,
            after={"program": program.pk, "version": version, "requires_resign": requires_resign},
        )
    return template


def agreement_template_publish(
    *, template: AgreementTemplate, acting_membership: Membership
) -> AgreementTemplate:
    """Publish a draft: it becomes the program's current agreement; the previous one retires. When
    it requires re-signing, the program's partner admins are told to sign again."""
    require_staff(acting_membership, Perm.PROGRAM_MANAGE)
    with transaction.atomic():
        locked = AgreementTemplate.objects.select_for_update().get(pk=template.pk)
        check_transition(TEMPLATE_TRANSITIONS, locked.status, T.PUBLISHED, what=_("Agreement template"))
        for previous in AgreementTemplate.objects.select_for_update().filter(
            program_id=locked.program_id, status=T.PUBLISHED
        ):
            previous.status = T.RETIRED
            previous.save(update_fields=["status"])
            audit(actor=acting_membership.user, action="agreement_template.retire", obj=previous)
        locked.status = T.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at"])
        audit(
            actor=acting_membership.user,
            action="agreement_template.publish",
            obj=locked,
            before={"status": T.DRAFT},
            after={"status": T.PUBLISHED, "requires_resign": locked.requires_resign},
        )
        if locked.requires_resign:
            notify(
                recipients=partner_members(
                    Partner.objects.filter(program_id=locked.program_id), roles=[Role.PARTNER_ADMIN]
                ),
                verb="agreement.resign",
                message=lambda: _("A new version of the partner agreement needs your signature."),
                url=reverse("partners:agreement_current"),
            )
        # The program's checklists follow (the agreement item reopens where a signature is due).
        task_enqueue("partners.onboarding_refresh_program", program_id=locked.program_id)
    return locked


def agreement_prepare(*, partner: Partner, acting_membership: Membership) -> Agreement:
    """The partner's copy of the current agreement as the exact PDF to sign (rendered once, then
    reused, so the signer signs what they read)."""
    require(acting_membership.is_staff_member or acting_membership.partner_id == partner.pk)
    template = current_agreement_template(partner.program_id)
    if template is None:
        raise DomainError(_("The program has no published agreement."))
    existing = Agreement.objects.filter(partner=partner, template=template).first()
    if existing is not None:
        return existing
    pdf = agreement_pdf(template, partner)
    path, digest = store_bytes(pdf, area="agreements", suffix=".pdf")
    with transaction.atomic():
        agreement, created = Agreement.objects.get_or_create(
            partner=partner, template=template, defaults={"document_path": path, "document_sha256": digest}
        )
        if created:
            audit(
                actor=acting_membership.user,
                action="agreement.prepare",
                obj=agreement,
                after={"template": template.pk, "version": template.version, "document_sha256": digest},
            )
    return agreement


def file_sha256(relative_path: str) -> str:
    digest = hashlib.sha256()
    with resolve_tenant_file(relative_path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def agreement_sign(
    *,
    agreement: Agreement,
    acting_membership: Membership,
    signer_name: str,
    consent: bool,
    document_sha256: str,
    ip: str | None,
    user_agent: str,
) -> Agreement:
    """The partner admin signs: typed name, explicit consent, time, IP, user agent and the SHA-256
    of the exact PDF are recorded; a signed copy with a signature page is stored."""
    require(
        membership_has(acting_membership, Perm.AGREEMENT_SIGN)
        and acting_membership.partner_id == agreement.partner_id
    )
    signer_name = " ".join(signer_name.split())
    if not signer_name:
        raise DomainError(_("Type your full name to sign."))
    if not consent:
        raise DomainError(_("Confirm that you agree to the agreement and may sign for your company."))
    current = Agreement.objects.select_related("template__program", "partner").get(pk=agreement.pk)
    _check_signable(current, document_sha256)
    if file_sha256(current.document_path) != current.document_sha256:
        raise DomainError(_("The document changed since you opened it; reload the page and read it again."))
    signed_at = timezone.now()
    signature = {
        "name": signer_name,
        "email": acting_membership.user.email,
        "signed_at": signed_at.strftime("%Y-%m-%d %H:%M:%S"),
        "ip": ip or "",
        "user_agent": user_agent[:500],
        "document_sha256": current.document_sha256,
    }
    # The slow part (rendering the signed copy) runs before the row lock: a second signer waits
    # for the lock, not for a PDF. Under the lock everything is checked again; a copy that is not
    # used is removed.
    path, digest = store_bytes(
        agreement_pdf(current.template, current.partner, signature=signature),
        area="agreements",
        suffix=".pdf",
    )
    try:
        return _record_signature(
            agreement=current,
            acting_membership=acting_membership,
            signer_name=signer_name,
            document_sha256=document_sha256,
            signed_at=signed_at,
            ip=ip,
            user_agent=user_agent,
            path=path,
            digest=digest,
        )
    except BaseException:
        resolve_tenant_file(path).unlink(missing_ok=True)
        raise


def _check_signable(agreement: Agreement, document_sha256: str) -> None:
    check_transition(AGREEMENT_TRANSITIONS, agreement.status, A.SIGNED, what=_("Agreement"))
    if agreement.template.status != T.PUBLISHED:
        raise DomainError(_("A newer version of the agreement exists; reload the page to sign it."))
    if document_sha256 != agreement.document_sha256:
        raise DomainError(_("The document changed since you opened it; reload the page and read it again."))


def _record_signature(
    *,
    agreement: Agreement,
    acting_membership: Membership,
    signer_name: str,
    document_sha256: str,
    signed_at,
    ip: str | None,
    user_agent: str,
    path: str,
    digest: str,
) -> Agreement:
    with transaction.atomic():
        locked = (
            Agreement.objects.select_for_update(of=("self",))
            .select_related("template__program", "partner")
            .get(pk=agreement.pk)
        )
        _check_signable(locked, document_sha256)
        locked.status = A.SIGNED
        locked.signer = acting_membership.user
        locked.signer_name = signer_name
        locked.consent = True
        locked.signed_at = signed_at
        locked.signer_ip = ip or None
        locked.signer_user_agent = user_agent[:500]
        locked.signed_pdf_path = path
        locked.signed_pdf_sha256 = digest
        locked.save(
            update_fields=[
                "status",
                "signer",
                "signer_name",
                "consent",
                "signed_at",
                "signer_ip",
                "signer_user_agent",
                "signed_pdf_path",
                "signed_pdf_sha256",
            ]
        )
        audit(
            actor=acting_membership.user,
            action="agreement.sign",
            obj=locked,
            before={"status": A.PENDING},
            after={
                "status": A.SIGNED,
                "signer_name": signer_name,
                "document_sha256": locked.document_sha256,
                "signed_pdf_sha256": digest,
                "ip": ip,
                "version": locked.template.version,
            },
        )
        partner = Partner.objects.select_for_update().get(pk=locked.partner_id)
        if partner.status == Partner.Status.ONBOARDING:
            partner.status = Partner.Status.ACTIVE
            partner.save(update_fields=["status", "updated_at"])
            audit(
                actor=acting_membership.user,
                action="partner.activate",
                obj=partner,
                before={"status": Partner.Status.ONBOARDING},
                after={"status": Partner.Status.ACTIVE},
            )
        onboarding_refresh(partner=partner)
        notify(
            recipients=partner_staff_recipients(partner),
            verb="agreement.signed",
            message=lambda: (
                _("%(partner)s signed %(agreement)s.")
                % {"partner": partner.name, "agreement": str(locked.template)}
            ),
            url=reverse("partners:detail", kwargs={"pk": partner.pk}),
        )
    return locked
