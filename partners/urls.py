from django.urls import path

from partners import views

app_name = "partners"
urlpatterns = [
    path("", views.partner_list, name="list"),
    path("mine/", views.partner_mine, name="mine"),
    path("<int:pk>/", views.partner_detail, name="detail"),
]
