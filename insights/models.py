"""Stored forecasts: one run per tenant and kind (pipeline, sell-out), its series (one per partner
and product line or category) and their monthly points. A rerun replaces the run's series."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator


class ForecastRun(TenantModel):
    """The latest computation of one kind of forecast for the tenant (keyed by kind: a rerun
    updates this row and replaces its series, it never adds a second run)."""

    class Kind(models.TextChoices):
        PIPELINE = "pipeline", _("Pipeline forecast")
        SELL_OUT = "sell_out", _("Sell-out forecast")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    as_of = models.DateField(help_text=_("The day the forecast was computed for."))
    currency = models.CharField(max_length=3, validators=[currency_validator])
    computed_at = models.DateTimeField(default=timezone.now)
    # The parameters used (shrinkage strengths, horizon, grouping) and the counts of the run.
    params = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="insights_run_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.as_of}"


class ForecastSeries(TenantModel):
    """One forecast line: a partner and a product line (pipeline) or product category (sell-out).

    ``method`` says what the points hold: the exponential-smoothing model, the seasonal-naive
    baseline (the model did not beat it in the backtest, or too little history), or the
    probability-weighted pipeline."""

    class Method(models.TextChoices):
        MODEL = "model", _("Exponential smoothing")
        BASELINE = "baseline", _("Seasonal-naive baseline")
        PIPELINE = "pipeline", _("Weighted pipeline")

    run = TenantForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="series")
    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100, help_text=_("Product line (pipeline) or category (sell-out)."))
    group = models.CharField(max_length=64, blank=True, help_text=_("Region today; territory later."))
    method = models.CharField(max_length=16, choices=Method.choices)
    model_spec = models.CharField(max_length=32, blank=True)  # "seasonal" | "trend" | ""
    history_months = models.PositiveSmallIntegerField(default=0)
    # Backtest over the last 3 complete months: MASE = model MAE / seasonal-naive MAE.
    mase = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    backtest = models.JSONField(default=list, blank=True)  # [{month, actual, model, baseline}]
    # Pipeline: win probability and slippage (days) used for this partner and product line.
    win_probability = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    slip_days = models.IntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["partner_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "run", "partner", "key"], name="insights_series_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_method_display()})"


class ForecastPoint(TenantModel):
    """One month of a series: the actual (history), or the forecast with its interval. Amounts in
    the run's currency."""

    series = TenantForeignKey(ForecastSeries, on_delete=models.CASCADE, related_name="points")
    month = models.DateField()
    actual = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True)
    value = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True)
    lower = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True)
    upper = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True)

    class Meta:
        ordering = ["series_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "series", "month"], name="insights_point_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
