from django.apps import AppConfig


class PosdataConfig(AppConfig):
    name = "posdata"
    verbose_name = "Posdata"
