"""Partners: the companies in a tenant's channel and their lifecycle (models split by topic)."""

from partners.models.agreements import Agreement, AgreementTemplate
from partners.models.core import (
    LOWER_IS_BETTER,
    Kpi,
    Partner,
    PartnerUserObjectPermission,
    Program,
    RevenueBand,
    Tier,
    TierRequirement,
)
from partners.models.enablement import (
    Certification,
    Course,
    Lesson,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Resource,
    ResourceDownload,
    ResourceVersion,
)
from partners.models.onboarding import OnboardingItem, OnboardingStep, PayoutDetails
from partners.models.plans import (
    MONEY_KPIS,
    PLAN_KPI_LABELS,
    PLAN_KPIS,
    QUARTERS,
    BusinessPlan,
    PlanComment,
    PlanGoal,
    PlanInitiative,
)
from partners.models.recruitment import PartnerApplication
from partners.models.scorecards import Scorecard, TierProposal
from partners.models.territories import Territory, TerritoryOwner, TerritoryPartner

__all__ = [
    "LOWER_IS_BETTER",
    "MONEY_KPIS",
    "PLAN_KPIS",
    "PLAN_KPI_LABELS",
    "QUARTERS",
    "Agreement",
    "AgreementTemplate",
    "BusinessPlan",
    "Certification",
    "Course",
    "Kpi",
    "Lesson",
    "OnboardingItem",
    "OnboardingStep",
    "Partner",
    "PartnerApplication",
    "PartnerUserObjectPermission",
    "PayoutDetails",
    "PlanComment",
    "PlanGoal",
    "PlanInitiative",
    "Program",
    "QuizAttempt",
    "QuizChoice",
    "QuizQuestion",
    "Resource",
    "ResourceDownload",
    "ResourceVersion",
    "RevenueBand",
    "Scorecard",
    "Territory",
    "TerritoryOwner",
    "TerritoryPartner",
    "Tier",
    "TierProposal",
    "TierRequirement",
]
