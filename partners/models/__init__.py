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
from partners.models.recruitment import PartnerApplication
from partners.models.scorecards import Scorecard, TierProposal
from partners.models.territories import Territory, TerritoryOwner, TerritoryPartner

__all__ = [
    "LOWER_IS_BETTER",
    "Agreement",
    "AgreementTemplate",
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
