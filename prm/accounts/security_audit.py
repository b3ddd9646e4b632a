"""Audit of sign-ins, failed sign-ins and MFA changes (allauth and Django signals).

On a tenant's host the event is an audit row of that tenant, with the request's address; on the
platform host there is no tenant to hold it, so it goes to the ``prm.security`` log only. Every
event is logged there as well, for a log pipeline that watches sign-ins across tenants.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import user_logged_in
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_login_failed
from django.db import models

from prm.audit.services import audit
from prm.tenancy.context import current_tenant

logger = logging.getLogger("prm.security")


def _record(*, action: str, actor, obj: models.Model | None, after: dict[str, Any]) -> None:
    tenant = current_tenant()
    logger.info(
        "%s user=%s tenant=%s %s",
        action,
        getattr(actor, "pk", None),
        tenant.slug if tenant else "-",
        after,
    )
    if tenant is not None:
        audit(actor=actor, action=action, obj=obj if obj is not None else tenant, after=after)


def on_signed_in(sender: Any, request: Any, user, **kwargs: Any) -> None:
    _record(action="auth.sign_in", actor=user, obj=user, after={"email": user.email})


def on_sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    _record(action="auth.sign_in_failed", actor=None, obj=None, after={"email": attempted})


def _authenticator_event(action: str):
    def receiver(sender: Any, request: Any, user, authenticator, **kwargs: Any) -> None:
        _record(action=action, actor=user, obj=user, after={"type": authenticator.type})

    return receiver


on_mfa_added = _authenticator_event("mfa.enrol")
on_mfa_removed = _authenticator_event("mfa.remove")
on_mfa_reset = _authenticator_event("mfa.reset")
on_mfa_failed = _authenticator_event("auth.mfa_failed")


def connect() -> None:
    user_logged_in.connect(on_signed_in, dispatch_uid="prm_audit_sign_in")
    user_login_failed.connect(on_sign_in_failed, dispatch_uid="prm_audit_sign_in_failed")
    mfa_signals.authenticator_added.connect(on_mfa_added, dispatch_uid="prm_audit_mfa_added")
    mfa_signals.authenticator_removed.connect(on_mfa_removed, dispatch_uid="prm_audit_mfa_removed")
    mfa_signals.authenticator_reset.connect(on_mfa_reset, dispatch_uid="prm_audit_mfa_reset")
    mfa_signals.authentication_failed.connect(on_mfa_failed, dispatch_uid="prm_audit_mfa_failed")
