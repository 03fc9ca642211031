"""The words of the assessments pages' script (``assessments.js``), translated on the server.

The shared words of ``bank.js`` (errors, saving, item fields) come from ``bank_text`` so the
helpers it holds speak the same language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .bank_text import bank_text


def assessment_text() -> dict[str, str]:
    return {
        **bank_text(),
        "created": _("Created."),
        "choosePreset": _("Start from a preset…"),
        "none": _("None"),
        "partLabel": _("Label"),
        "partItems": _("Items"),
        "partPoints": _("Points each"),
        "partType": _("Item type"),
        "anyType": _("Any type"),
        "partScoring": _("Scoring"),
        "scoring_as_authored": _("Each item's own rule"),
        "scoring_all_or_nothing": _("All or nothing"),
        "addPart": _("Add a part"),
        "totalPoints": _("Total: %(points)s points"),
        "removePart": _("Remove this part"),
        "drawPreview": _("Preview the draw"),
        "drawSave": _("Draw and save the form"),
        "drawn": _("Drawn with seed %(seed)s: every cell is filled."),
        "drawShort": _("The bank cannot fill %(count)s items:"),
        "exposure": _("used in %(count)s forms"),
        "noBlueprints": _("No blueprint of this subject yet: make one in the item bank."),
        "search": _("Search"),
        "addToPart": _("Add to %(part)s"),
        "inPart": _("%(part)s: %(have)s of %(want)s items"),
        "reorderHint": _("Drag an item by its handle, or use Up and Down, to change its place within its part."),
        "dragHandle": _("Drag to move within this part"),
        "upItem": _("Up: %(item)s"),
        "downItem": _("Down: %(item)s"),
        "removeItem": _("Remove: %(item)s"),
        "movedInPart": _("%(item)s is now item %(position)s of %(count)s in %(part)s."),
        "dropRefused": _("Items move only within their own part; nothing was changed."),
        "noResults": _("No items found."),
        "saveForm": _("Save the form"),
        "formSaved": _("The form is saved."),
        "codesMade": _("%(count)s test codes made."),
        "trialSaved": _("Trial items (never counted): %(positions)s."),
        "trialNone": _("No trial item: every item counts."),
        "trialPositions": _("Give the items' numbers on the form, separated by commas."),
        "scheduled": _("Scheduled: %(count)s candidates enrolled."),
        "released": _("Released to %(count)s students."),
        "withdrawn": _("Withdrawn from %(count)s students."),
        "cancelled": _("The sitting is cancelled."),
        "moved": _("The sitting has moved."),
        "askReason": _("Why? The reason is kept in the sitting's history."),
        "confirmRelease": _("Release the results to the students now?"),
        "chooseClasses": _("Choose at least one class."),
        "preview": _("Preview"),
        "keys": _("Key table (XLSX)"),
        "code": _("Code"),
        "item": _("Item"),
        "topic": _("Topic"),
        "level": _("Cognitive level"),
        "part": _("Part"),
        "sectionsSaved": _("Saved: the parts are delivered this way."),
    }
