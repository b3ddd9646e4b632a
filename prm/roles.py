"""The role matrix: who may see and do what. The one place that answers "may this role ...?".

Object scoping (which partner's rows a user sees) lives in the selectors; this module answers
whether a role may use a capability at all. ``docs/roles.md`` is generated from ``MATRIX``
(``manage.py role_matrix``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.workflow import require

if TYPE_CHECKING:
    from prm.accounts.models import Membership


class Role(models.TextChoices):
    VENDOR_ADMIN = "vendor_admin", _("Vendor admin")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    MARKETING_MANAGER = "marketing_manager", _("Marketing manager")
    FINANCE = "finance", _("Finance")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_USER = "partner_user", _("Partner user")


STAFF_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER, Role.FINANCE})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})
# Channel managers approve deals and import data: their accounts need a second factor too.
MFA_REQUIRED_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE})

# Partner statuses (values of partners.Partner.Status; the core imports no app, a test keeps them
# in step) that take access away from the partner's people: a suspended partner's people keep the
# read-only capabilities below, a terminated partner's people have no access to the tenant.
PARTNER_READ_ONLY_STATUSES = frozenset({"suspended"})
PARTNER_NO_ACCESS_STATUSES = frozenset({"terminated"})


class Perm(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    PARTNER_VIEW = "partner.view"  # partners list and profiles (partner roles: their own only)
    PARTNER_MANAGE = "partner.manage"  # create, edit, import partners; assign managers
    PARTNER_LIFECYCLE = "partner.lifecycle"  # suspend, terminate, reactivate; change a tier by hand
    PRODUCT_VIEW = "product.view"
    PRODUCT_MANAGE = "product.manage"  # edit and import the catalog
    STAFF_VIEW = "staff.view"  # the tenant's people and memberships
    MEMBERSHIP_MANAGE = "membership.manage"  # deactivate, reactivate, change the role of people in reach
    STAFF_INVITE = "staff.invite"  # invite vendor staff
    COLLEAGUE_INVITE = "colleague.invite"  # invite colleagues into one's own partner
    AUDIT_VIEW = "audit.view"
    JOB_VIEW = "job.view"  # background jobs one started, or all jobs for staff
    DATA_IMPORT = "data.import"  # reference data imports (each kind also needs its own capability)
    POS_VIEW = "pos.view"  # sell-through and inventory dashboards, uploads and data quality
    POS_UPLOAD = "pos.upload"  # send POS and inventory files (partners: their own; staff: on behalf)
    POS_REPLACE = "pos.replace"  # replace a partner's period with a corrected file
    POS_MANAGE = "pos.manage"  # exception queue, SKU cross-references, re-processing
    # partners: recruitment, programs, agreements, onboarding, enablement, scorecards
    PROGRAM_MANAGE = "program.manage"  # programs, tiers, tier rules, agreement templates, checklists
    APPLICATION_REVIEW = "application.review"  # review partner applications
    AGREEMENT_SIGN = "agreement.sign"  # sign the partner agreement for one's own partner
    PARTNER_PROFILE_EDIT = "partner.profile_edit"  # edit one's own company profile
    PAYOUT_DETAILS_EDIT = "payout.edit"  # enter bank and tax details of one's own partner
    PAYOUT_DETAILS_VIEW = "payout.view"  # see (masked) payout details
    ENABLEMENT_VIEW = "enablement.view"  # resource library and training
    ENABLEMENT_MANAGE = "enablement.manage"  # publish resources and courses
    CERTIFICATION_VERIFY = "certification.verify"  # verify uploaded external certificates
    TIER_PROPOSAL_DECIDE = "tier.decide"  # approve or reject tier promotions/demotions
    ACCOUNT_MANAGER_ASSIGN = "partner.assign_manager"  # assign channel managers to partners
    PLAN_VIEW = "plan.view"  # joint business plans (partner roles: their own partner's)
    PLAN_EDIT = "plan.edit"  # make, change, propose, sign and reopen plans; initiatives; comments
    # deals: registration, conflicts, direct opportunities, leads
    DEAL_VIEW = "deal.view"  # registrations (partner roles: their own partner's)
    DEAL_REGISTER = "deal.register"  # register deals, request extensions, report won/lost
    DEAL_REVIEW = "deal.review"  # review queue, approve/reject, extensions, pipeline and dashboard
    TERRITORY_VIEW = "territory.view"  # territories and their dashboard (pipeline, wins, POS, coverage)
    TERRITORY_MANAGE = "territory.manage"  # define territories: rules, precedence, owners, member partners
    DEAL_SETTINGS = "deal.settings"  # protection, SLAs, fuzzy threshold, lead routing defaults
    OPPORTUNITY_MANAGE = "opportunity.manage"  # the vendor's direct opportunities
    LEAD_VIEW = "lead.view"  # leads (partner roles: the ones offered to or owned by their partner)
    LEAD_MANAGE = "lead.manage"  # create, import and route leads; routing rules
    LEAD_RESPOND = "lead.respond"  # accept or decline a lead offered to one's partner
    # finance: exchange rates and payables
    FX_RATE_MANAGE = "fx.manage"  # see, enter, correct and import exchange rates
    PAYABLE_VIEW = "payable.view"  # payables (partner admins: their partner's; partner users: their own)
    PAYABLE_MANAGE = "payable.manage"  # cancel an open payable
    # ship-and-debit: special pricing agreements and claims
    SPA_VIEW = "spa.view"  # special pricing agreements (partner roles: their own partner's)
    SPA_MANAGE = "spa.manage"  # create, amend, cancel and import special pricing agreements
    CLAIM_VIEW = "claim.view"  # claims and their verdicts (partner roles: their own partner's)
    CLAIM_SUBMIT = "claim.submit"  # submit claims and resubmit rejected lines for one's partner
    CLAIM_REVIEW = "claim.review"  # override line verdicts and approve claims
    CLAIM_REPORTS = "claim.reports"  # claims aging, rejection reasons, leakage, agreement utilisation
    CLAIM_SETTINGS = "claim.settings"  # the claim window and the payment term of approved claims
    PAYOUT_DETAILS_VERIFY = "payout.verify"  # confirm a partner's payout details before paying there
    PAYOUT_BATCH_VIEW = "payout_batch.view"  # payout batches, their lines and exports (masked bank data)
    PAYOUT_BATCH_MANAGE = "payout_batch.manage"  # build, export, mark paid and cancel payout batches
    PAYOUT_BATCH_APPROVE = "payout_batch.approve"  # approve a batch someone else built (maker-checker)
    PAYOUT_BANK_FULL = "payout.bank_full"  # full bank details in payout exports (with MFA, audited)
    REMITTANCE_VIEW = "remittance.view"  # remittance statements (partner admins: their partner's)
    FINANCE_REPORTS = "finance.reports"  # accrued/approved/paid, liability aging, reconciliation
    FINANCE_SETTINGS = "finance.settings"  # the tenant's finance policies (exchange rate date of payouts)
    TENANT_EXPORT = "tenant.export"  # the whole data set of the tenant as one archive
    WEBHOOK_MANAGE = "webhook.manage"  # webhook endpoints, their secrets and delivery log; replays
    TENANT_SETTINGS = "tenant.settings"  # name, branding, language, time zone, base currency, e-mails
    API_KEY_MANAGE = "api_key.manage"  # create, rotate and revoke the tenant's API keys
    # MDF and co-op funds
    FUND_VIEW = "fund.view"  # fund balances, requests and claims (partner roles: their own partner's)
    FUND_MANAGE = "fund.manage"  # funds, periods and budgets, allocations, accruals, reversals, levels
    FUND_REQUEST = "fund.request"  # request funds and file claims with proof for one's partner
    FUND_APPROVE = "fund.approve"  # decide fund requests at one's approval level; delegate it
    FUND_CLAIM_REVIEW = "fund.claim_review"  # approve, partially approve, reject or return fund claims
    FUND_REPORTS = "fund.reports"  # utilisation dashboard, expiring funds, return by activity, exports
    # rebates and SPIFs
    REBATE_VIEW = "rebate.view"  # rebate statements (partner admins: their partner's; reps: their own)
    REBATE_PROGRAM_VIEW = "rebate.program_view"  # programs, runs, accruals and settlements (vendor staff)
    REBATE_MANAGE = "rebate.manage"  # define, load, version and simulate programs; run calculations
    REBATE_CLOSE = "rebate.close"  # close a program's period (freeze a run) and approve the settlement
    REBATE_REP_OPT_IN = "rebate.rep_opt_in"  # let the partner's reps be paid their SPIFs themselves
    REBATE_REPORTS = "rebate.reports"  # liability by program and quarter, top earners, cost vs revenue
    # scheduled reports: any report page one may see, saved with its filters and e-mailed
    REPORT_SCHEDULE = "report.schedule"  # schedule report pages one may see; manage one's own schedules
    REPORT_SCHEDULE_ALL = "report.schedule_all"  # see, pause and delete every schedule of the tenant
    FORECAST_VIEW = "forecast.view"  # pipeline and sell-out forecasts (partner roles: their own partner's)
    FORECAST_RUN = "forecast.run"  # recompute the forecasts now (vendor staff)
    BENCHMARK_VIEW = (
        "benchmark.view"  # league table (staff) or own figures against anonymised peers (partners)
    )


_ALL = frozenset(Role)
_STAFF = STAFF_ROLES
MATRIX: dict[Perm, frozenset[Role]] = {
    Perm.DASHBOARD_VIEW: _ALL,
    Perm.PARTNER_VIEW: _ALL,
    Perm.PARTNER_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.PRODUCT_VIEW: _ALL,
    Perm.PRODUCT_MANAGE: frozenset({Role.VENDOR_ADMIN}),
    Perm.PARTNER_LIFECYCLE: frozenset({Role.VENDOR_ADMIN}),
    Perm.STAFF_VIEW: frozenset({Role.VENDOR_ADMIN, Role.PARTNER_ADMIN}),
    Perm.MEMBERSHIP_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.PARTNER_ADMIN}),
    Perm.STAFF_INVITE: frozenset({Role.VENDOR_ADMIN}),
    Perm.COLLEAGUE_INVITE: frozenset({Role.PARTNER_ADMIN}),
    Perm.AUDIT_VIEW: frozenset({Role.VENDOR_ADMIN}),
    Perm.JOB_VIEW: _ALL,
    Perm.DATA_IMPORT: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE}),
    Perm.PROGRAM_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.APPLICATION_REVIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.AGREEMENT_SIGN: frozenset({Role.PARTNER_ADMIN}),
    Perm.PARTNER_PROFILE_EDIT: frozenset({Role.PARTNER_ADMIN}),
    Perm.PAYOUT_DETAILS_EDIT: frozenset({Role.PARTNER_ADMIN}),
    Perm.PAYOUT_DETAILS_VIEW: frozenset({Role.VENDOR_ADMIN, Role.FINANCE, Role.PARTNER_ADMIN}),
    Perm.ENABLEMENT_VIEW: _ALL,
    Perm.ENABLEMENT_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER}),
    Perm.CERTIFICATION_VERIFY: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.TIER_PROPOSAL_DECIDE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.ACCOUNT_MANAGER_ASSIGN: frozenset({Role.VENDOR_ADMIN}),
    Perm.PLAN_VIEW: _ALL,
    Perm.PLAN_EDIT: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.PARTNER_ADMIN}),
    Perm.POS_VIEW: _ALL,
    Perm.POS_UPLOAD: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.PARTNER_ADMIN, Role.PARTNER_USER}
    ),
    Perm.POS_REPLACE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.PARTNER_ADMIN}),
    Perm.POS_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.DEAL_VIEW: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE, Role.PARTNER_ADMIN, Role.PARTNER_USER}
    ),
    Perm.DEAL_REGISTER: frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER}),
    Perm.DEAL_REVIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.TERRITORY_VIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.TERRITORY_MANAGE: frozenset({Role.VENDOR_ADMIN}),
    Perm.DEAL_SETTINGS: frozenset({Role.VENDOR_ADMIN}),
    Perm.OPPORTUNITY_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.LEAD_VIEW: frozenset(
        {
            Role.VENDOR_ADMIN,
            Role.CHANNEL_MANAGER,
            Role.MARKETING_MANAGER,
            Role.PARTNER_ADMIN,
            Role.PARTNER_USER,
        }
    ),
    Perm.LEAD_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER}),
    Perm.LEAD_RESPOND: frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER}),
    Perm.FX_RATE_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.FINANCE}),
    Perm.PAYABLE_VIEW: _ALL,
    Perm.PAYABLE_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.FINANCE}),
    Perm.SPA_VIEW: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE, Role.PARTNER_ADMIN, Role.PARTNER_USER}
    ),
    Perm.SPA_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.CLAIM_VIEW: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE, Role.PARTNER_ADMIN, Role.PARTNER_USER}
    ),
    Perm.CLAIM_SUBMIT: frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER}),
    Perm.CLAIM_REVIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.CLAIM_REPORTS: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE}),
    Perm.CLAIM_SETTINGS: frozenset({Role.VENDOR_ADMIN}),
    Perm.PAYOUT_DETAILS_VERIFY: frozenset({Role.FINANCE}),
    Perm.PAYOUT_BATCH_VIEW: frozenset({Role.VENDOR_ADMIN, Role.FINANCE}),
    Perm.PAYOUT_BATCH_MANAGE: frozenset({Role.FINANCE}),
    Perm.PAYOUT_BATCH_APPROVE: frozenset({Role.FINANCE}),
    Perm.PAYOUT_BANK_FULL: frozenset({Role.FINANCE}),
    Perm.REMITTANCE_VIEW: frozenset({Role.VENDOR_ADMIN, Role.FINANCE, Role.PARTNER_ADMIN}),
    Perm.FINANCE_REPORTS: frozenset({Role.VENDOR_ADMIN, Role.FINANCE}),
    Perm.FINANCE_SETTINGS: frozenset({Role.VENDOR_ADMIN, Role.FINANCE}),
    Perm.TENANT_EXPORT: frozenset({Role.VENDOR_ADMIN}),
    Perm.WEBHOOK_MANAGE: frozenset({Role.VENDOR_ADMIN}),
    Perm.TENANT_SETTINGS: frozenset({Role.VENDOR_ADMIN}),
    Perm.API_KEY_MANAGE: frozenset({Role.VENDOR_ADMIN}),
    Perm.FUND_VIEW: _ALL,
    Perm.FUND_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.MARKETING_MANAGER}),
    Perm.FUND_REQUEST: frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER}),
    Perm.FUND_APPROVE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER}),
    Perm.FUND_CLAIM_REVIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER}),
    Perm.FUND_REPORTS: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER, Role.FINANCE}
    ),
    Perm.REBATE_VIEW: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE, Role.PARTNER_ADMIN, Role.PARTNER_USER}
    ),
    Perm.REBATE_PROGRAM_VIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE}),
    Perm.REBATE_MANAGE: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.REBATE_CLOSE: frozenset({Role.VENDOR_ADMIN, Role.FINANCE}),
    Perm.FORECAST_VIEW: frozenset(
        {Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE, Role.PARTNER_ADMIN, Role.PARTNER_USER}
    ),
    Perm.FORECAST_RUN: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER}),
    Perm.BENCHMARK_VIEW: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.PARTNER_ADMIN}),
    Perm.REBATE_REP_OPT_IN: frozenset({Role.PARTNER_ADMIN}),
    Perm.REBATE_REPORTS: frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE}),
    Perm.REPORT_SCHEDULE: _ALL,
    Perm.REPORT_SCHEDULE_ALL: frozenset({Role.VENDOR_ADMIN}),
}

PERM_DESCRIPTIONS: dict[Perm, str] = {
    Perm.DASHBOARD_VIEW: "See the home dashboard of one's role",
    Perm.PARTNER_VIEW: "See partner profiles (partner roles: their own partner only; restricted managers: assigned partners)",
    Perm.PARTNER_MANAGE: "Create, edit and import partners",
    Perm.PARTNER_LIFECYCLE: "Suspend, terminate and reactivate partners; change a partner's tier by hand",
    Perm.PRODUCT_VIEW: "See the product catalog",
    Perm.PRODUCT_MANAGE: "Edit and import the product catalog",
    Perm.STAFF_VIEW: "See people and memberships (partner admins: their own partner's)",
    Perm.MEMBERSHIP_MANAGE: "Deactivate or reactivate people and change their role (partner admins: their own partner's partner users and admins)",
    Perm.STAFF_INVITE: "Invite vendor staff into the tenant",
    Perm.COLLEAGUE_INVITE: "Invite colleagues into one's own partner",
    Perm.AUDIT_VIEW: "Browse and filter the audit log",
    Perm.JOB_VIEW: "Follow background jobs (one's own; vendor staff: the tenant's)",
    Perm.DATA_IMPORT: "Import reference data files (each kind also needs the capability that manages it)",
    Perm.PROGRAM_MANAGE: "Define partner programs, tiers and benefits, tier rules, agreement templates and onboarding checklists",
    Perm.APPLICATION_REVIEW: "Review partner applications: approve, reject, request more information",
    Perm.AGREEMENT_SIGN: "Sign the partner agreement for one's own partner",
    Perm.PARTNER_PROFILE_EDIT: "Edit one's own company profile",
    Perm.PAYOUT_DETAILS_EDIT: "Enter the bank account and tax id of one's own partner",
    Perm.PAYOUT_DETAILS_VIEW: "See payout details, masked (partner admins: their own partner's)",
    Perm.ENABLEMENT_VIEW: "Use the resource library and training (partners: what their program and tier may see)",
    Perm.ENABLEMENT_MANAGE: "Publish resources, courses and quizzes",
    Perm.CERTIFICATION_VERIFY: "Verify or reject uploaded external certificates",
    Perm.TIER_PROPOSAL_DECIDE: "Approve or reject proposed tier promotions and demotions",
    Perm.ACCOUNT_MANAGER_ASSIGN: "Assign channel managers to partners as account managers",
    Perm.PLAN_VIEW: "See joint business plans with their goals, progress from the KPIs, initiatives and comments (partner roles: their own partner's)",
    Perm.PLAN_EDIT: "Make and change joint business plans, propose them, sign for one's side (vendor: partners in reach; partner admins: their own), reopen them; add initiatives and comments",
    Perm.POS_VIEW: "See sell-through and inventory dashboards, POS uploads and their data quality (partner roles: their own)",
    Perm.POS_UPLOAD: "Upload POS and inventory files (partner roles: for their partner; staff: on a partner's behalf)",
    Perm.POS_REPLACE: "Replace a partner's POS or inventory period with a corrected file",
    Perm.POS_MANAGE: "Work the POS exception queue: map partner SKUs and re-process lines",
    Perm.DEAL_VIEW: "See deal registrations (partner roles: their own partner's; finance: for incentives)",
    Perm.DEAL_REGISTER: "Register deals for one's partner, attach files, request extensions, report won or lost",
    Perm.DEAL_REVIEW: "Review registrations and conflicts, approve or reject, decide extensions; pipeline, dashboard and export",
    Perm.TERRITORY_VIEW: "See territories and their dashboard: pipeline, wins, POS revenue and coverage",
    Perm.TERRITORY_MANAGE: "Define territories (countries, regions, postal codes, industries, named accounts), their precedence, owners and member partners",
    Perm.DEAL_SETTINGS: "Set protection periods, review and lead SLAs, the near-match threshold and lead distribution",
    Perm.OPPORTUNITY_MANAGE: "Create and import the vendor's direct opportunities",
    Perm.LEAD_VIEW: "See leads (partner roles: those offered to or accepted by their partner)",
    Perm.LEAD_MANAGE: "Create, import and route leads; define routing rules",
    Perm.LEAD_RESPOND: "Accept or decline leads offered to one's partner",
    Perm.FX_RATE_MANAGE: "See, enter, correct (as a new rate with its own source) and import exchange rates; convert amounts",
    Perm.PAYABLE_VIEW: "See payables with totals per currency (partner admins: their partner's; partner users: those payable to them)",
    Perm.PAYABLE_MANAGE: "Cancel an open payable, with a reason",
    Perm.SPA_VIEW: "See special pricing agreements with consumed and remaining quantities (partner roles: their own partner's)",
    Perm.SPA_MANAGE: "Create, amend (as a new version), cancel and import special pricing agreements",
    Perm.CLAIM_VIEW: "See ship-and-debit claims and their line verdicts (partner roles: their own partner's)",
    Perm.CLAIM_SUBMIT: "Submit ship-and-debit claims for one's partner (file or portal) and resubmit rejected lines",
    Perm.CLAIM_REVIEW: "Review claims: filter lines by code, override a line with a reason, approve (creates the payable)",
    Perm.CLAIM_REPORTS: "Claims aging, rejection reasons, leakage prevented and agreement utilisation, with exports",
    Perm.CLAIM_SETTINGS: "Set the claim window (days after the ship date a line may be claimed) and the payment term of approved claims",
    Perm.PAYOUT_DETAILS_VERIFY: "Verify a partner's payout details (only verified details receive payouts; a change clears it)",
    Perm.PAYOUT_BATCH_VIEW: "See payout batches, their payments per partner and lines; export them with bank details masked",
    Perm.PAYOUT_BATCH_MANAGE: "Build payout batches from open payables, export them, mark payments paid (also from a bank file), cancel them",
    Perm.PAYOUT_BATCH_APPROVE: "Approve a payout batch built by someone else (maker-checker; the builder cannot approve)",
    Perm.PAYOUT_BANK_FULL: "Export payouts with full bank details (requires MFA; every such export is audited)",
    Perm.REMITTANCE_VIEW: "Download remittance statements (partner admins: their partner's)",
    Perm.FINANCE_REPORTS: "See finance reports: accrued vs approved vs paid, open liability aging, reconciliation",
    Perm.FINANCE_SETTINGS: "Set the tenant's finance policies: the date whose exchange rates convert the payables of a payout batch",
    Perm.TENANT_EXPORT: "Export the tenant's whole data set (every table as CSV with a manifest, and its files) as one archive",
    Perm.WEBHOOK_MANAGE: "Register webhook endpoints and the events they receive, rotate their signing secrets, disable and enable them, read the delivery log and replay deliveries",
    Perm.TENANT_SETTINGS: "Manage the tenant's own settings (name, logo and colours, default language and time zone, base currency, notification e-mails) and see every settings section in one place",
    Perm.API_KEY_MANAGE: "Create, list, rotate and revoke API keys for integrations (vendor-wide with read/write per resource, or bound to one partner)",
    Perm.FUND_VIEW: "See MDF and co-op fund balances, what expires when, requests and claims (partner roles: their own partner's)",
    Perm.FUND_MANAGE: "Define funds, periods and budgets; allocate (per partner or by tier), run co-op accruals, reverse entries; set approval levels",
    Perm.FUND_REQUEST: "Request fund money for marketing activities and file claims with proof of performance for one's partner",
    Perm.FUND_APPROVE: "Approve, reject, ask for changes or approve less on fund requests at one's level (or a delegator's); delegate while away",
    Perm.FUND_CLAIM_REVIEW: "Review fund claims: approve (creates the payable), approve partially, reject or return for more proof",
    Perm.FUND_REPORTS: "Fund utilisation dashboard, expiring funds and return by activity type, with CSV/XLSX exports",
    Perm.REBATE_VIEW: "See rebate and SPIF statements (partner admins: their partner's; partner users: their own SPIFs)",
    Perm.REBATE_PROGRAM_VIEW: "See rebate programs, calculation runs, accruals down to their lines, and settlements",
    Perm.REBATE_MANAGE: "Define, load and version rebate programs, simulate them and run calculations",
    Perm.REBATE_CLOSE: "Close a rebate program's period and approve the settlement (creates the payables)",
    Perm.REBATE_REP_OPT_IN: "Opt the partner's reps in to receive their own SPIF payouts",
    Perm.REBATE_REPORTS: "Rebate dashboard: accrued liability by program and quarter, top earners, program cost against revenue covered, with CSV/XLSX exports",
    Perm.REPORT_SCHEDULE: "Save a report page one may see with its filters and have it e-mailed weekly or monthly to colleagues (each receives only what they may see at send time); manage one's own schedules",
    Perm.REPORT_SCHEDULE_ALL: "See, pause and delete every scheduled report of the tenant",
    Perm.FORECAST_VIEW: "Pipeline forecast (win-probability weighted, slippage corrected) and sell-out forecast with backtest accuracy (partner roles: their own partner's)",
    Perm.FORECAST_RUN: "Recompute the forecasts now (they are recomputed nightly anyway)",
    Perm.BENCHMARK_VIEW: "Partner benchmarks: the league table with needs-attention flags (staff), or the partner's own figures against anonymised peer medians (partner admins)",
}


# What the people of a suspended partner may still do: look at their own history.
READ_ONLY_PERMS = frozenset(
    {
        Perm.DASHBOARD_VIEW,
        Perm.PARTNER_VIEW,
        Perm.PLAN_VIEW,
        Perm.PRODUCT_VIEW,
        Perm.STAFF_VIEW,
        Perm.JOB_VIEW,
        Perm.POS_VIEW,
        Perm.DEAL_VIEW,
        Perm.LEAD_VIEW,
        Perm.PAYOUT_DETAILS_VIEW,
        Perm.SPA_VIEW,
        Perm.CLAIM_VIEW,
        Perm.REMITTANCE_VIEW,
        Perm.FUND_VIEW,
        Perm.REBATE_VIEW,
        Perm.FORECAST_VIEW,
        Perm.BENCHMARK_VIEW,
    }
)


def role_has(role: str | None, perm: Perm) -> bool:
    return role is not None and Role(role) in MATRIX[perm]


def partner_allows(membership: Membership, perm: Perm) -> bool:
    """Whether the member's partner (if any) is in a state that allows ``perm``: nothing for a
    terminated partner, read-only capabilities for a suspended one, everything otherwise."""
    partner = membership.partner if membership.is_partner else None
    if partner is None:
        return True
    status = partner.status
    if status in PARTNER_NO_ACCESS_STATUSES:
        return False
    if status in PARTNER_READ_ONLY_STATUSES:
        return perm in READ_ONLY_PERMS
    return True


def membership_has(membership: Membership | None, perm: Perm) -> bool:
    """The one answer to "may this member use ``perm``?": the role matrix, then the partner's
    status. Views (``portal_view``), navigation and services all ask here."""
    return (
        membership is not None
        and membership.is_active
        and role_has(membership.role, perm)
        and partner_allows(membership, perm)
    )


def is_staff_role(role: str | None) -> bool:
    return role in STAFF_ROLES


def mfa_required(user, membership: Membership | None) -> bool:
    """Vendor admins, channel managers and finance must use MFA; so must platform operators."""
    if user.is_superuser:
        return True
    return membership is not None and membership.role in MFA_REQUIRED_ROLES


def matrix_markdown() -> str:
    roles = list(Role)
    header = "| capability | " + " | ".join(r.value for r in roles) + " |"
    lines = [header, "|---|" + "---|" * len(roles)]
    for perm, allowed in MATRIX.items():
        cells = " | ".join("yes" if r in allowed else "" for r in roles)
        lines.append(f"| `{perm.value}`: {PERM_DESCRIPTIONS[perm]} | {cells} |")
    return "\n".join(lines)


def require_staff(membership: Membership, perm: Perm) -> None:
    """Vendor staff holding ``perm``: partner roles never pass, whatever the role matrix says."""
    require(membership.is_staff_member and membership_has(membership, perm))
