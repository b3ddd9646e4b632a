from __future__ import annotations

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from prm.scheduled_reports.models import ScheduledReport


class ScheduleForm(forms.Form):
    """A schedule's name, rhythm, format and recipients (members chosen from a list)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=ScheduledReport.Frequency.choices,
        initial=ScheduledReport.Frequency.WEEKLY,
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekday (weekly)"), coerce=int, required=False, empty_value=None, initial=0
    )
    day_of_month = forms.TypedChoiceField(
        label=_("Day of the month (monthly)"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(d, d) for d in range(1, 29)],
        initial=1,
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=ScheduledReport.Format.choices, initial=ScheduledReport.Format.XLSX
    )
    recipients: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Recipients"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each recipient receives only what they may see on the page when the report is sent."),
    )

    def __init__(self, *args, recipients_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = list(WEEKDAYS.items())  # type: ignore[attr-defined]
        self.fields["recipients"].queryset = recipients_qs  # type: ignore[attr-defined]
        self.fields["recipients"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: (
                f"{m.user.full_name or m.user.email} <{m.user.email}> — {m.get_role_display()}"
                + (f" ({m.partner.code})" if m.partner_id else "")
            )
        )

    def clean(self):
        data = super().clean()
        if data.get("frequency") == ScheduledReport.Frequency.WEEKLY and data.get("weekday") is None:
            self.add_error("weekday", _("Choose the weekday of a weekly report."))
        if data.get("frequency") == ScheduledReport.Frequency.MONTHLY and data.get("day_of_month") is None:
            self.add_error("day_of_month", _("Choose the day of the month of a monthly report."))
        return data
