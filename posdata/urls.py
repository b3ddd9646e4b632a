app_name = "posdata"
urlpatterns: list = []
