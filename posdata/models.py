"""Point-of-sale and inventory data: partner files, their column mappings, SKU cross-references,
the loaded POS lines and inventory snapshots, and the rows that could not be loaded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey, TenantOneToOneField
from prm.tenancy.models import TenantModel


class Kind(models.TextChoices):
    POS = "pos", _("Point-of-sale lines")
    INVENTORY = "inventory", _("Inventory snapshots")


class SkuXref(TenantModel):
    """A partner's own code for one of the vendor's products (the partner SKU cross-reference)."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="sku_xrefs")
    partner_sku = models.CharField(_("partner SKU"), max_length=64)
    product = TenantForeignKey("prm.Product", on_delete=models.CASCADE, related_name="partner_skus")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner__code", "partner_sku"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "partner_sku"], name="sku_xref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner_sku} → {self.product_id}"


class ColumnMapping(TenantModel):
    """The file columns a partner's files use for each canonical field, saved when a mapping is
    confirmed and reused for the partner's next file."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="column_mappings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    mapping = models.JSONField(default=dict)  # canonical field -> file header
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "kind"], name="column_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind}"


class Upload(TenantModel):
    """One file a partner sent (by the portal, the command or the API), and how loading it went."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Reading the file")
        MAPPING = "mapping", _("Awaiting column mapping")
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        LOADED = "loaded", _("Loaded")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.RECEIVED: {Status.MAPPING, Status.FAILED},
        Status.MAPPING: {Status.QUEUED},
        Status.QUEUED: {Status.PROCESSING, Status.FAILED},
        Status.PROCESSING: {Status.LOADED, Status.FAILED},
        Status.FAILED: set(),
        Status.LOADED: set(),
    }
    # A file in one of these states counts for the "same file" refusal.
    ACTIVE = (Status.QUEUED, Status.PROCESSING, Status.LOADED)

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="pos_uploads")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.POS)
    # A received file is read (header row, columns, preview) by the worker, never in the request.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    original_name = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=500)
    format = models.CharField(max_length=8)  # csv | xlsx
    size = models.BigIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    header_row = models.PositiveIntegerField(default=1)  # physical line / sheet row of the header
    headers = models.JSONField(default=list, blank=True)
    # canonical field -> file header (before reading: the mapping the sender named, if any)
    mapping = models.JSONField(default=dict, blank=True)
    # The first data rows as read once by the worker, cut to the header's width and short cells:
    # the mapping page shows them without opening the file again.
    preview = models.JSONField(default=list, blank=True)
    formats = models.JSONField(default=dict, blank=True)  # inferred date / number formats per field
    replace_start = models.DateField(null=True, blank=True)
    replace_end = models.DateField(null=True, blank=True)
    replaced_rows = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    quantity_total = models.BigIntegerField(default=0)
    amount_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    currency = models.CharField(max_length=3, blank=True)  # of amount_total
    # A file in several currencies: its amount per currency (amount_total is then converted into
    # the tenant's base currency) and the rates the conversion used (rate, date, source).
    amount_totals = models.JSONField(default=dict, blank=True)
    fx_rates = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    job = TenantOneToOneField(
        "prm.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="pos_upload"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "partner", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "kind", "checksum"],
                condition=models.Q(status__in=["queued", "processing", "loaded"]),
                name="pos_upload_same_file_once",
            ),
            models.UniqueConstraint(fields=["tenant", "job"], name="pos_upload_one_per_job"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.original_name})"

    @property
    def is_replacement(self) -> bool:
        return self.replace_start is not None

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.LOADED, self.Status.FAILED)

    @property
    def is_being_read(self) -> bool:
        return self.status == self.Status.RECEIVED


class PosLine(TenantModel):
    """One loaded point-of-sale line (EDI 867): a partner's sale or return of a vendor product."""

    class TransactionType(models.TextChoices):
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        DROP_SHIP = "drop_ship", _("Drop ship")
        SHIP_AND_DEBIT = "ship_and_debit", _("Ship-and-debit sale")

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, db_index=False, related_name="+")
    upload = TenantForeignKey(Upload, on_delete=models.PROTECT, db_index=False, related_name="+")
    invoice_number = models.CharField(max_length=64)
    invoice_line = models.IntegerField()
    invoice_date = models.DateField()
    product = TenantForeignKey("prm.Product", on_delete=models.PROTECT, db_index=False, related_name="+")
    partner_sku = models.CharField(max_length=64, blank=True)
    quantity = models.IntegerField(help_text=_("Base units; negative for returns"))
    unit_of_measure = models.CharField(max_length=16, blank=True)  # as the file gave it
    unit_price = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True, blank=True
    )  # per base unit
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    currency = models.CharField(max_length=3)
    end_customer = models.TextField(blank=True)
    country = models.TextField(blank=True)
    postal_code = models.TextField(blank=True)
    transaction_type = models.CharField(max_length=16, choices=TransactionType.choices)
    agreement_number = models.TextField(blank=True)
    source_line = models.IntegerField()
    loaded_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "invoice_number", "invoice_line"], name="pos_line_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "invoice_date"], name="pos_line_date"),
            models.Index(fields=["tenant", "partner", "invoice_date"], name="pos_line_partner_date"),
            models.Index(fields=["tenant", "product", "invoice_date"], name="pos_line_product_date"),
            models.Index(fields=["tenant", "upload"], name="pos_line_upload"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number}/{self.invoice_line}"


class InventorySnapshot(TenantModel):
    """A partner's stock of one product on one date (EDI 852: on hand, on order, in transit, and
    optionally received, sold, returned), in base units."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, db_index=False, related_name="+")
    upload = TenantForeignKey(Upload, on_delete=models.PROTECT, db_index=False, related_name="+")
    snapshot_date = models.DateField()
    product = TenantForeignKey("prm.Product", on_delete=models.PROTECT, db_index=False, related_name="+")
    on_hand = models.IntegerField()
    on_order = models.IntegerField(default=0)
    in_transit = models.IntegerField(default=0)
    received = models.IntegerField(null=True, blank=True)
    sold = models.IntegerField(null=True, blank=True)
    returned = models.IntegerField(null=True, blank=True)
    source_line = models.IntegerField()
    loaded_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "product", "snapshot_date"], name="inventory_snapshot_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "partner", "snapshot_date"], name="inventory_partner_date"),
            models.Index(fields=["tenant", "upload"], name="inventory_upload"),
        ]


class StockoutThreshold(TenantModel):
    """The weeks of supply under which a partner's products count as at stock-out risk: its
    people and account managers are told after a load that takes a product under it. Partners
    without one use ``posdata.selectors.STOCKOUT_RISK_WEEKS``."""

    partner = TenantOneToOneField(
        "partners.Partner", on_delete=models.CASCADE, related_name="stockout_threshold"
    )
    weeks = models.DecimalField(_("stock-out alert below (weeks of supply)"), max_digits=5, decimal_places=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner"], name="stockout_threshold_one_per_partner"),
            models.CheckConstraint(condition=models.Q(weeks__gte=0), name="stockout_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.weeks}"


class StockoutAlert(TenantModel):
    """Whether a partner's product is under its stock-out threshold as the last load left it.
    A load that takes it under flips ``below`` and alerts once; loads that leave it under change
    nothing; going back above resets it, so that the next crossing alerts again."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, db_index=False, related_name="+")
    product = TenantForeignKey("prm.Product", on_delete=models.CASCADE, db_index=False, related_name="+")
    below = models.BooleanField()
    weeks_of_supply = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    threshold = models.DecimalField(max_digits=5, decimal_places=1)
    snapshot_date = models.DateField()
    changed_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "product"], name="stockout_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.product_id}: {'below' if self.below else 'above'}"


class RejectedRow(TenantModel):
    """A file row that could not be loaded, with every problem (line, column, code, message) and
    its values, so that it can be downloaded, fixed and sent again. Rows whose product could not
    be resolved also form the exception queue until someone maps the SKU and re-processes them."""

    class Resolution(models.TextChoices):
        OPEN = "", _("Open")
        LOADED = "loaded", _("Loaded after re-processing")
        DUPLICATE = "duplicate", _("Duplicate after re-processing")

    # A kept row is resolved once, by the re-processing job (set-based: its UPDATEs move only rows
    # in a state this table allows to move, see posdata.pipeline.load).
    TRANSITIONS = {
        Resolution.OPEN: {Resolution.LOADED, Resolution.DUPLICATE},
        Resolution.LOADED: set(),
        Resolution.DUPLICATE: set(),
    }

    upload = TenantForeignKey(Upload, on_delete=models.CASCADE, related_name="rejected_rows")
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, db_index=False, related_name="+")
    line = models.IntegerField()
    code = models.CharField(max_length=32)  # the first problem's code
    errors = models.JSONField(default=list)  # [{"column", "code", "message"}]
    data = models.JSONField(default=dict)  # canonical field -> the file's text
    unknown_product = models.BooleanField(default=False)
    product_key = models.CharField(max_length=64, blank=True)  # the identifier that did not resolve
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["upload_id", "line"]
        indexes = [
            models.Index(fields=["tenant", "upload", "line"], name="rejected_upload_line"),
            models.Index(
                fields=["tenant", "partner", "product_key"],
                condition=models.Q(unknown_product=True, resolution=""),
                name="rejected_exception_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.code}"


def _raw_text() -> models.TextField:
    # NULL = the file has no column for the field (staging keeps the raw text as it came).
    return models.TextField(null=True)


class StagingRow(TenantModel):
    """Template of the per-file UNLOGGED staging tables the loader COPYs raw text into (one table
    per upload, created from this one's columns and dropped after the load). Never written
    through the ORM."""

    upload_id = models.BigIntegerField()
    line = models.IntegerField()
    ref = models.BigIntegerField(null=True)  # a rejected row being re-processed
    invoice_number = _raw_text()
    invoice_line = _raw_text()
    invoice_date = _raw_text()
    sku = _raw_text()
    partner_sku = _raw_text()
    gtin = _raw_text()
    quantity = _raw_text()
    unit_of_measure = _raw_text()
    unit_price = _raw_text()
    extended_amount = _raw_text()
    currency = _raw_text()
    end_customer = _raw_text()
    country = _raw_text()
    postal_code = _raw_text()
    transaction_type = _raw_text()
    agreement_number = _raw_text()
    snapshot_date = _raw_text()
    on_hand = _raw_text()
    on_order = _raw_text()
    in_transit = _raw_text()
    received = _raw_text()
    sold = _raw_text()
    returned = _raw_text()

    class Meta:
        managed = True


class PosRollup(TenantModel):
    """POS lines summed per partner, product, invoice month, currency and transaction type, kept
    exactly in step with the lines by every path that adds or removes them, in the same
    transaction (``posdata.rollups``). The Sell-through page, forecasts and benchmarks read it;
    ``manage.py pos_rollups_check`` compares it with the lines."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, db_index=False, related_name="+")
    product = TenantForeignKey("prm.Product", on_delete=models.PROTECT, db_index=False, related_name="+")
    month = models.DateField()  # the first day of the invoice month
    currency = models.CharField(max_length=3)
    transaction_type = models.CharField(max_length=16, choices=PosLine.TransactionType.choices)
    quantity = models.BigIntegerField()  # net base units
    sold_units = models.BigIntegerField()  # of lines with a positive quantity
    returned_units = models.BigIntegerField()  # of lines with a negative quantity, as a positive number
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS + 4, decimal_places=AMOUNT_DECIMALS)
    lines = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "product", "month", "currency", "transaction_type"],
                name="pos_rollup_key",
            )
        ]
        indexes = [models.Index(fields=["tenant", "month"], name="pos_rollup_month")]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.product_id} {self.month:%Y-%m} {self.currency}"


class PosDailyRollup(TenantModel):
    """POS lines summed per partner, invoice date and currency: what conversions at the invoice
    date's rate need (home panels, scorecard revenue, co-op accruals, the period comparison),
    for any range of days, without reading the lines. Kept in step like ``PosRollup``."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, db_index=False, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    quantity = models.BigIntegerField()
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS + 4, decimal_places=AMOUNT_DECIMALS)
    lines = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "day", "currency"], name="pos_daily_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="pos_daily_rollup_day")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.currency}"


class InventoryRollup(TenantModel):
    """Inventory snapshots summed per partner, product and month of the snapshot date: units
    received, sold and returned as reported, the number of snapshots, and the stock at the month's
    last snapshot. Recomputed set-based for the months a load or a replacement touches, in its
    transaction (``posdata.rollups``)."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, db_index=False, related_name="+")
    product = TenantForeignKey("prm.Product", on_delete=models.PROTECT, db_index=False, related_name="+")
    month = models.DateField()
    received = models.BigIntegerField(null=True)  # NULL: no snapshot of the month reported it
    sold = models.BigIntegerField(null=True)
    returned = models.BigIntegerField(null=True)
    snapshots = models.IntegerField()
    last_snapshot_date = models.DateField()
    on_hand_end = models.BigIntegerField()  # on hand at the month's last snapshot

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "product", "month"], name="inventory_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["tenant", "month"], name="inventory_rollup_month")]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.product_id} {self.month:%Y-%m}"
