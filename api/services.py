"""Writes of API keys: create (the secret is shown once), rotate (a new secret, the old one stops
working at once), revoke. Vendor admins only; every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import scopes as scope_names
from api.keys import new_credentials
from api.models import ApiKey
from prm.accounts.models import Membership, User
from prm.audit.services import audit
from prm.roles import STAFF_ROLES, Perm, Role, require_staff
from prm.scoping import partners_in_scope
from prm.workflow import DomainError, InvalidTransition

SERVICE_EMAIL_DOMAIN = "api-keys.invalid"
AUDIT_FIELDS = ("name", "kind", "role", "partner", "scopes", "prefix")


@dataclass(frozen=True)
class IssuedKey:
    """A key and its whole token: the only moment the secret exists outside the caller's hands."""

    key: ApiKey
    token: str


def _snapshot(key: ApiKey) -> dict:
    return {
        "name": key.name,
        "kind": key.kind,
        "role": key.role,
        "partner": key.partner.code if key.partner is not None else None,
        "scopes": list(key.scopes),
        "prefix": key.prefix,
    }


def api_key_create(
    *,
    acting_membership: Membership,
    name: str,
    kind: str,
    scopes: Iterable[str],
    role: str | None = None,
    partner=None,
) -> IssuedKey:
    """A new key: vendor-wide acting with a vendor role, or bound to one partner (acting as its
    partner admin: only its own records), narrowed to ``scopes``."""
    require_staff(acting_membership, Perm.API_KEY_MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError(_("Give the key a name of 1 to 80 characters (e.g. the system that uses it)."))
    try:
        granted = scope_names.normalise(scopes)
    except ValueError as exc:
        raise DomainError(_("Unknown scopes: %(s)s.") % {"s": exc}) from exc
    if not granted:
        raise DomainError(_("Choose at least one scope."))
    if kind == ApiKey.Kind.VENDOR:
        if role not in STAFF_ROLES:
            raise DomainError(_("Choose the vendor role the key acts with."))
        partner = None
    elif kind == ApiKey.Kind.PARTNER:
        if partner is None or not partners_in_scope(acting_membership).filter(pk=partner.pk).exists():
            raise DomainError(_("Choose the partner the key is bound to."))
        role = Role.PARTNER_ADMIN
    else:
        raise DomainError(_("Choose vendor-wide or bound to a partner."))
    if ApiKey.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise DomainError(_("A live key is already named %(name)s.") % {"name": name})
    credentials = new_credentials()
    with transaction.atomic():
        identity = User.objects.create_user(
            email=f"api-key-{uuid.uuid4().hex}@{SERVICE_EMAIL_DOMAIN}",
            full_name=f"API key: {name}"[:200],
            is_active=False,
        )
        key = ApiKey.objects.create(
            name=name,
            kind=kind,
            role=role,
            partner=partner,
            scopes=granted,
            prefix=credentials.prefix,
            secret_hash=credentials.secret_hash,
            service_user=identity,
            created_by=acting_membership.user,
        )
        audit(actor=acting_membership.user, action="api_key.create", obj=key, after=_snapshot(key))
    return IssuedKey(key=key, token=credentials.token)


def _locked_live(key: ApiKey) -> ApiKey:
    locked = ApiKey.objects.select_for_update(of=("self",)).select_related("partner").get(pk=key.pk)
    if not locked.is_live:
        raise InvalidTransition(_("The key %(name)s is revoked.") % {"name": locked.name})
    return locked


def api_key_rotate(*, key: ApiKey, acting_membership: Membership) -> IssuedKey:
    """A new secret (and prefix) for the same key: same name, scopes and identity in the audit
    trail; the old secret stops working at once."""
    require_staff(acting_membership, Perm.API_KEY_MANAGE)
    credentials = new_credentials()
    with transaction.atomic():
        locked = _locked_live(key)
        before = {"prefix": locked.prefix}
        locked.prefix, locked.secret_hash = credentials.prefix, credentials.secret_hash
        locked.rotated_at = timezone.now()
        locked.save(update_fields=["prefix", "secret_hash", "rotated_at"])
        audit(
            actor=acting_membership.user,
            action="api_key.rotate",
            obj=locked,
            before=before,
            after={"prefix": locked.prefix},
        )
    key.refresh_from_db()
    return IssuedKey(key=key, token=credentials.token)


def api_key_revoke(*, key: ApiKey, acting_membership: Membership) -> ApiKey:
    """The key stops working at its next request; the row stays for the audit trail."""
    require_staff(acting_membership, Perm.API_KEY_MANAGE)
    with transaction.atomic():
        locked = _locked_live(key)
        locked.revoked_at, locked.revoked_by = timezone.now(), acting_membership.user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit(
            actor=acting_membership.user,
            action="api_key.revoke",
            obj=locked,
            before={"revoked": False},
            after={"revoked": True, **_snapshot(locked)},
        )
    key.refresh_from_db()
    return key
