from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prm.events import EVENT_TYPES
from prm.webhooks.guard import MAX_URL_LENGTH
from prm.webhooks.models import WebhookDelivery


def event_choices() -> list[tuple[str, str]]:
    return [(name, f"{name}: {meaning}") for name, meaning in EVENT_TYPES.items()]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=MAX_URL_LENGTH,
        help_text=_("https:// only; it must resolve to public addresses. Redirects are not followed."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=event_choices, widget=forms.CheckboxSelectMultiple
    )


class EndpointDisableForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class EndpointDeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Delete its delivery log too"), required=True)


DELIVERY_STATUS_CHOICES = WebhookDelivery.Status.choices
