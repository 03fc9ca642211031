from django.apps import AppConfig


class ItembankConfig(AppConfig):
    name = "itembank"
    verbose_name = "Item bank"
