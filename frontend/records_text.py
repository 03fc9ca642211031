"""The words of the records pages (``records.js``), translated on the server and handed to the
script in ``#bank-text``. Placeholders read ``%(name)s``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .bank_text import shared_text


def records_text() -> dict[str, str]:
    return {
        **shared_text(),
        "saved": _("Saved."),
        "entered": _("The assessment is entered."),
        "corrected": _("The correction is kept with its reason."),
        "removed": _("The entry is removed; the removal is kept with its reason."),
        "askReason": _("Why? (kept with the correction)"),
        "askRemoveReason": _("Why remove this entry? (kept)"),
        "askReopenReason": _("Why reopen the semester? (kept)"),
        "confirmClose": _("Close the semester? Its entries and comments will no longer change."),
        "closed": _("The semester is closed."),
        "reopened": _("The semester is reopened."),
        "ruleSaved": _("The rule is saved."),
        "correct": pgettext("record entry", "Correct"),
        "remove": _("Remove"),
        "issued": _("Transcript %(serial)s is issued and signed."),
        "confirmIssue": _("Issue a copy of this transcript signed by the school? The issuance is logged."),
        "valid": _(
            "Valid: transcript %(serial)s of %(student)s (%(learner_id)s), issued by %(school)s on %(date)s, unchanged and signed by the school."
        ),
        "invalid": _("Not valid: %(problem)s"),
        "chooseFile": _("Choose the PDF file first."),
        "working": _("Working… %(percent)s%%"),
        "download": _("Download"),
        "school": _("School"),
        "all": _("All"),
        "classes": _("Classes"),
        "students": _("Students"),
        "female": _("Female"),
        "male": _("Male"),
        "incomplete": _("Not complete"),
        "retakes": _("Retakes"),
        "subject": _("Subject"),
        "mean": _("Mean of the averages"),
        "withAverage": _("Students with an average"),
        "period_1": _("Semester I"),
        "period_2": _("Semester II"),
        "period_year": _("Whole year"),
        "exportReady": _("The export is ready: %(name)s"),
    }
