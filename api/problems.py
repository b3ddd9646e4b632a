"""Every error of the API in one JSON shape: RFC 9457 problem details
(``application/problem+json``): ``type``, ``title``, ``status``, ``detail``, ``instance``, and for
invalid input ``errors`` (each with a JSON ``pointer`` into the request and its ``detail``).

Types are URNs (``urn:prm:problem:<name>``), listed in docs/api.md; a client branches on them, not
on the wording of ``detail``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from prm.workflow import DomainError, InvalidTransition

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"


def problem_type(name: str) -> str:
    return f"urn:prm:problem:{name}"


class IdempotencyKeyReused(exceptions.APIException):
    """The Idempotency-Key was used before for a different request."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency-key-reused"


def _titles() -> dict[type, tuple[str, str]]:
    """DRF exception classes -> (problem name, title); built per call so titles are translated."""
    return {
        exceptions.ValidationError: ("validation", _("The request is not valid")),
        exceptions.ParseError: ("malformed", _("The request body could not be read")),
        exceptions.NotAuthenticated: ("unauthenticated", _("An API key is needed")),
        exceptions.AuthenticationFailed: ("unauthenticated", _("The API key is not valid")),
        exceptions.PermissionDenied: ("forbidden", _("Not allowed")),
        exceptions.NotFound: ("not-found", _("Not found")),
        exceptions.MethodNotAllowed: ("method-not-allowed", _("Method not allowed")),
        exceptions.NotAcceptable: ("not-acceptable", _("Not acceptable")),
        exceptions.UnsupportedMediaType: ("unsupported-media-type", _("Unsupported media type")),
        exceptions.Throttled: ("rate-limited", _("Too many requests")),
        IdempotencyKeyReused: ("idempotency-key-reused", _("Idempotency-Key used for another request")),
    }


def problem(
    *,
    status_code: int,
    name: str,
    title: str,
    detail: str,
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": problem_type(name),
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=dict(headers or {}), content_type=CONTENT_TYPE)


def error_list(detail: Any, path: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {pointer, detail} (JSON pointers, RFC 6901)."""
    if isinstance(detail, Mapping):
        found: list[dict[str, str]] = []
        for field, value in detail.items():
            name = str(field)
            found += error_list(value, path if name in {"non_field_errors", "__all__"} else (*path, name))
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path) if path else "#"
            return [{"pointer": pointer, "detail": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            found += error_list(item, (*path, str(index)))
        return found
    return error_list([str(detail)], path)


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    where = first["pointer"].removeprefix("#/").replace("/", ".") or _("the request")
    more = len(errors) - 1
    text = _("%(where)s: %(detail)s") % {"where": where, "detail": first["detail"]}
    if more:
        text += " " + _("(and %(n)d more)") % {"n": more}
    return text


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: a problem response for every exception, never HTML."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("There is nothing here with that id, or it is not yours to see."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, InvalidTransition):
        return problem(
            status_code=409,
            name="invalid-transition",
            title=_("Not possible in this state"),
            detail=str(exc),
            instance=instance,
        )
    if isinstance(exc, DomainError):
        return problem(
            status_code=422,
            name="refused",
            title=_("Refused by a business rule"),
            detail=str(exc),
            instance=instance,
        )
    if isinstance(exc, exceptions.APIException):
        return _api_problem(exc, instance)
    return server_error(exc, instance)


def _api_problem(exc: exceptions.APIException, instance: str) -> Response:
    name, title = next(
        (value for cls, value in _titles().items() if isinstance(exc, cls)), ("error", _("Error"))
    )
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        errors = error_list(exc.detail)
        detail = _summary(errors) if errors else str(title)
    else:
        detail = str(exc.detail)
    return problem(
        status_code=exc.status_code,
        name=name,
        title=title,
        detail=detail,
        instance=instance,
        errors=errors,
        headers=headers,
    )


def server_error(exc: BaseException, instance: str = "") -> Response:
    reference = secrets.token_hex(4).upper()
    logger.error("API request failed unexpectedly [reference %s]", reference, exc_info=exc)
    return problem(
        status_code=500,
        name="server-error",
        title=_("Server error"),
        detail=_("Something went wrong on our side (reference %(ref)s). Try again later.")
        % {"ref": reference},
        instance=instance,
    )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/ path that names no endpoint: the same problem shape as everything else."""
    return JsonResponse(
        {
            "type": problem_type("not-found"),
            "title": _("Not found"),
            "status": 404,
            "detail": _("No API endpoint at this address."),
            "instance": request.path,
        },
        status=404,
        content_type=CONTENT_TYPE,
    )
