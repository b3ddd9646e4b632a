from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("forecast/", views.forecast, name="forecast"),
    path("forecast/recompute/", views.forecast_recompute, name="forecast_recompute"),
    path("benchmarks/", views.league, name="league"),
    path("benchmarks/mine/", views.my_benchmarks, name="my_benchmarks"),
]
