"""The POST half of an action view, written once.

An action view fetches its object through a scoped selector (another tenant's or partner's object
is a 404 before anything else happens), then hands the rest to ``run_action``: validate the form,
call the service, turn a refused business action (``DomainError``) into an error message, say what
happened, and redirect (htmx requests get an ``HX-Redirect`` instead, so the whole page moves).

    @portal_view(Perm.DEAL_REVIEW)
    @require_POST
    def extension_decide(request, pk):
        extension = get_extension_for_membership_or_404(request.membership, pk)
        form = ExtensionDecisionForm(request.POST)
        return run_action(
            request,
            lambda: extension_approve(extension=extension, acting_membership=request.membership),
            form=form,
            invalid=_("Choose approve or refuse."),
            success=_("Extension decided."),
            redirect_to=reverse("deals:review_queue"),
        )

The service call is a callable so that it runs only after the form is valid (it may read
``form.cleaned_data``). ``success`` and ``redirect_to`` may be callables of the service's result
(e.g. redirect to the object the service created).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

from prm.workflow import DomainError

Message = str | Callable[[Any], "str | tuple[int, str] | None"] | None
Target = str | Callable[[Any], str]


def run_action(
    request: HttpRequest,
    action: Callable[[], Any],
    *,
    redirect_to: Target,
    success: Message = None,
    level: int = messages.SUCCESS,
    form: forms.Form | None = None,
    invalid: str | Callable[[forms.Form], str] | None = None,
    error_redirect_to: str | None = None,
    invalid_redirect_to: str | None = None,
    error_message: Callable[[DomainError], str] = str,
) -> HttpResponse:
    """Run ``action`` for a POST and answer with a redirect and a message.

    - ``form``: validated first; when invalid, ``invalid`` (a text, or a callable of the form) is
      shown as an error and nothing is called.
    - ``DomainError`` from the service: its message (``error_message(exc)``) is shown as an error.
    - otherwise ``success`` at ``level``: a text, or a callable of the result that returns a text
      or ``(level, text)`` (e.g. a warning when the service found a conflict); None or "" shows
      nothing.
    - ``redirect_to``: a URL or URL name without arguments (``reverse(...)`` for the others), or a
      callable of the result. ``error_redirect_to`` (default: ``redirect_to``; it must not depend
      on the result) is where refusals go; ``invalid_redirect_to`` (default: the same) where an
      invalid form goes.
    """
    if error_redirect_to is None and callable(redirect_to):
        raise TypeError("run_action: a redirect_to that depends on the result needs error_redirect_to.")
    failed_to = error_redirect_to if error_redirect_to is not None else redirect_to
    if form is not None and not form.is_valid():
        text = invalid(form) if callable(invalid) else invalid
        messages.error(request, text or form_errors(form))
        return _go(request, invalid_redirect_to or failed_to, None)
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, error_message(exc))
        return _go(request, failed_to, None)
    said = success(result) if callable(success) else success
    if isinstance(said, tuple):
        level, said = said
    if said:
        messages.add_message(request, level, said)
    return _go(request, redirect_to, result)


def form_errors(form: forms.Form) -> str:
    """The form's own messages in one line (e.g. "JPY amounts take no decimals.")."""
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _go(request: HttpRequest, target: Target, result: Any) -> HttpResponse:
    url = target(result) if callable(target) else target
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(redirect(url).url)
    return redirect(url)
