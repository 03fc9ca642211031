from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessConfig(AppConfig):
    name = "assess"
    verbose_name = _("Assessment")
