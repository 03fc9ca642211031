"""The words of the accommodations section of the board's sitting page
(``board_accommodations.js``), translated on the server and handed to it in
``#accommodations-text``. Placeholders read ``%(name)s``; the script fills them in."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .bank_text import shared_text


def accommodation_text() -> dict[str, str]:
    return {
        **shared_text(),
        "saving": _("Saving…"),
        "none": "–",
        "yes": _("Yes"),
        "noAccommodations": _("No accommodation in this sitting yet."),
        "classNamed": _("Class %(name)s"),
        "extraMinutes": _("+%(minutes)s min"),
        "multiplier": _("×%(value)s"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "editNamed": _("Edit the accommodation of %(who)s"),
        "deleteNamed": _("Delete the accommodation of %(who)s"),
        "confirmDelete": _("Delete the accommodation of %(who)s?"),
        "added": _("Accommodation added for %(who)s."),
        "saved": _("Accommodation of %(who)s saved."),
        "deleted": _("Accommodation of %(who)s deleted."),
        "addHeading": _("Add an accommodation"),
        "editHeading": _("Change the accommodation of %(who)s"),
        "add": _("Add"),
        "save": _("Save the changes"),
        "chooseCandidate": _("Choose a candidate…"),
        "typeUsername": _("The candidate's username"),
        "chooseClass": _("Choose a class…"),
        "giveMinutes": _("Give the extra minutes."),
        "giveMultiplier": _("Give the multiplier."),
    }
