"""The words of the board's collusion report page (``collusion.js``), translated on the server
and handed to it in ``#bank-text`` (read through ``bank.js``). Placeholders read ``%(name)s``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .bank_text import shared_text


def collusion_text() -> dict[str, str]:
    return {
        **shared_text(),
        "none": "–",
        "start": _("Analyse the answers"),
        "restart": _("Analyse again"),
        "starting": _("Starting the analysis…"),
        "queued": _("Waiting for a worker…"),
        "failed": _("The analysis failed: %(message)s"),
        "noReport": _("No report yet: start the analysis once the sitting is finished."),
        "computedAt": _("Computed at %(time)s"),
        "summary": _(
            "%(candidates)s candidates and %(items)s single-choice items compared; "
            "%(within)s pairs within rooms or classes, and the %(across)s most alike of all %(family)s pairs of the sitting."
        ),
        "flaggedCount": _("Pairs flagged at α = %(alpha)s: %(count)s."),
        "bankParameters": _("Item parameters: the bank's calibration."),
        "calibratedParameters": _("Item parameters: estimated from this sitting's answers."),
        "addressesKnown": _("Addresses known for %(count)s candidates."),
        "noPairs": _("No pair to show."),
        "noOutliers": _("No candidate stands out."),
        "shown": _("Pairs %(from)s–%(to)s of %(count)s"),
        "previous": _("Previous"),
        "next": _("Next"),
        "orthogonal": pgettext("seats", "Adjacent"),
        "diagonal": pgettext("seats", "Diagonal"),
        "flagged": pgettext("collusion", "Flagged"),
        "notFlagged": pgettext("collusion", "No"),
        "across": _("Found across the sitting"),
        "sameCode": _("same test code"),
        "matches": _("%(matches)s of %(shared)s"),
        "expected": _("expected %(expected)s"),
        # table headings, also the labels of a pair's card on a phone
        "rank": pgettext("collusion", "#"),
        "pair": pgettext("collusion", "Candidates"),
        "where": pgettext("collusion", "Room and seats"),
        "adjacency": pgettext("collusion", "Neighbours"),
        "sharedIp": pgettext("collusion", "Shared address"),
        "identical": pgettext("collusion", "Identical answers"),
        "index": pgettext("collusion", "Index"),
        "pvalue": pgettext("collusion", "p-value"),
        "adjusted": pgettext("collusion", "Adjusted"),
        "isFlagged": pgettext("collusion", "Flagged"),
        "wrong": pgettext("collusion", "Identical wrong"),
        "timing": pgettext("collusion", "Saved together"),
        "candidate": pgettext("collusion", "Candidate"),
        "theta": pgettext("collusion", "Ability θ"),
        "personFit": pgettext("collusion", "Person fit l_z"),
        "minutes": pgettext("collusion", "Minutes"),
        "speed": pgettext("collusion", "Pace z"),
        "why": pgettext("collusion", "Why listed"),
        "unlikelyPattern": _("Unlikely answer pattern"),
        "fast": _("Far faster than the sitting"),
    }
