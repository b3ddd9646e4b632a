"""URLs of the REST API (mounted at /api/ of every tenant portal): the schema, its docs, and
version 1 under /api/v1/. Any other /api/ address answers 404 as problem details."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from api.problems import not_found
from api.schema import api_docs
from api.v1.catalog import PartnerViewSet, ProductViewSet
from api.v1.claims import AgreementViewSet, ClaimViewSet
from api.v1.deals import DealViewSet
from api.v1.files import JobViewSet, PosUploadViewSet
from api.v1.finance import FxRateViewSet, PayableViewSet, PayoutBatchViewSet
from api.v1.incentives import FundAccountViewSet, FundRequestViewSet, RebateStatementViewSet
from api.v1.leads import LeadViewSet, OpportunityViewSet

app_name = "api"

v1 = SimpleRouter()
v1.register("partners", PartnerViewSet, basename="partner")
v1.register("products", ProductViewSet, basename="product")
v1.register("deals", DealViewSet, basename="deal")
v1.register("leads", LeadViewSet, basename="lead")
v1.register("opportunities", OpportunityViewSet, basename="opportunity")
v1.register("pos-uploads", PosUploadViewSet, basename="pos-upload")
v1.register("jobs", JobViewSet, basename="job")
v1.register("agreements", AgreementViewSet, basename="agreement")
v1.register("claims", ClaimViewSet, basename="claim")
v1.register("rebate-statements", RebateStatementViewSet, basename="rebate-statement")
v1.register("fund-accounts", FundAccountViewSet, basename="fund-account")
v1.register("fund-requests", FundRequestViewSet, basename="fund-request")
v1.register("payables", PayableViewSet, basename="payable")
v1.register("payout-batches", PayoutBatchViewSet, basename="payout-batch")
v1.register("fx-rates", FxRateViewSet, basename="fx-rate")

urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(
            authentication_classes=[], permission_classes=[AllowAny], throttle_classes=[]
        ),
        name="schema",
    ),
    path("docs/", api_docs, name="docs"),
    path("v1/", include((v1.urls, "v1"))),
    re_path(r"^", not_found),
]
