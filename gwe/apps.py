from django.apps import AppConfig


class GweConfig(AppConfig):
    name = "gwe"
    verbose_name = "Visitor tracking"
