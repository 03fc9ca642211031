"""The words of the marking pages (``board_marking.js``, ``marking_desk.js``), translated on the
server and handed to them in ``#bank-text`` (read through ``bank.js``). Placeholders read
``%(name)s``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .bank_text import shared_text


def marking_text() -> dict[str, str]:
    return {
        **shared_text(),
        "saved": _("The marking plan is saved."),
        "saving": _("Saving…"),
        "noPlan": _("No marking plan yet: name the markers and save."),
        "summary": _("%(scripts)s scripts: %(open)s to mark, %(adjudication)s to adjudicate, %(done)s marked."),
        "adjudicatorYes": _("Adjudicator"),
        "markerOnly": _("Marker"),
        "removed": _("No longer a marker"),
        "loading": _("Taking the next script…"),
        "nothingLeft": _("Nothing left for you to mark in this sitting. Thank you."),
        "round_first": _("First marking"),
        "round_second": _("Second marking (blind: the first mark is not shown)"),
        "round_adjudication": _("Adjudication: the two marks differ by more than the tolerance"),
        "scriptCode": _("Script %(code)s"),
        "outOf": _("out of %(points)s points"),
        "words": _("%(count)s words"),
        "emptyResponse": _("The candidate wrote nothing."),
        "levelPoints": _("%(label)s (%(points)s points)"),
        "givenMarks": _("The marks given"),
        "givenMark": _("%(round)s: %(points)s points"),
        "pointsLabel": _("Points"),
        "marked": _("Marked: %(points)s points."),
        "markedPartly": _("Your mark is saved: the script needs another mark."),
        "claimedUntil": _("On your desk until %(time)s."),
        "released": _("The script is back in the queue."),
    }


def moderation_text() -> dict[str, str]:
    """The words of the board's review and publication page (``board_moderation.js``)."""
    return {
        **shared_text(),
        "status_draft": _("Draft: being checked"),
        "status_reviewed": _("Checked: ready to publish"),
        "status_published": _("Published to the students"),
        "unscored": _("%(n)s handed-in attempts are not scored yet."),
        "awaitingMarks": _("%(n)s results await their marks."),
        "running": _("The sitting is being scored."),
        "complete": _("%(n)s results, complete."),
        "noResults": _("No result yet."),
        "reviewed": _("The results are marked as checked."),
        "publishedCount": _("%(count)s results are published."),
        "withdrawnCount": _("%(count)s results are withdrawn."),
        "askWithdraw": _("Why are the results withdrawn?"),
        "confirmPublish": _("Publish the results to the students and their records now?"),
        "flag_negative": _("negative discrimination: check the key"),
        "flag_low_discrimination": _("low discrimination"),
        "flag_very_easy": _("very easy"),
        "flag_very_hard": _("very hard"),
        "flag_distractor": _("stronger candidates chose another option"),
        "dropped": _("dropped"),
        "trial": _("trial item"),
        "accepted": _("also %(keys)s"),
        "noFigures": _("No figures yet: score the sitting first."),
        "exporting": _("Making the file…"),
        "difSummary": _("%(focal)s (%(n_focal)s) against %(reference)s (%(n_reference)s), matched on their total."),
        "previewing": _("Working out every candidate's score…"),
        "summary": _(
            "%(changed)s of %(candidates)s candidates change: %(up)s up, %(down)s down. "
            "Mean score %(mean_before)s → %(mean_after)s."
        ),
        "noChange": _("No candidate's score changes."),
        "applied": _("Applied: the sitting is being rescored (run %(run)s)."),
        "discarded": _("The change is discarded."),
        "kind_drop": _("Drop the item"),
        "kind_restore": _("Count the item again"),
        "kind_rekey": _("Change the key"),
        "kind_accept": _("Accept further keys"),
        "kind_reset": _("Back to the item's own key"),
        "state_previewed": _("Previewed"),
        "state_applied": _("Applied"),
        "state_discarded": _("Discarded"),
        "itemLabel": _("Item %(n)s"),
        "ownKey": _("its own key: %(key)s"),
        "appeal_open": _("Awaiting review"),
        "appeal_changed": _("Reviewed: the score changed"),
        "appeal_unchanged": _("Reviewed: the score stands"),
        "appealScores": _("score %(score_before)s"),
        "appealReason": _("Reason: %(reason)s"),
        "appealDecision": _("Decision: %(decision)s"),
        "emptyResponse": _("The candidate wrote nothing."),
        "markOutOf": _("Mark (out of %(points)s)"),
        "decisionLabel": _("What was decided (the candidate reads it)"),
        "decide": _("Decide the appeal"),
        "appealDecided": _("The appeal is decided."),
    }


def calibration_text() -> dict[str, str]:
    """The words of the board's calibration page (``board_calibration.js``)."""
    return {
        **shared_text(),
        "status_queued": _("Waiting for a worker"),
        "status_running": _("Calibrating…"),
        "status_done": _("Ready for review"),
        "status_failed": _("Failed"),
        "status_applied": _("Written to the bank"),
        "none": _("No calibration of this sitting yet."),
        "started": _("The calibration has started."),
        "summary": _(
            "%(persons)s candidates, %(anchors)s anchor items. Ability of this sitting on the bank's scale: "
            "mean %(mean)s, SD %(sd)s. %(iterations)s EM cycles in %(seconds)s s."
        ),
        "ownScale": _(
            "Too few items of this sitting have bank parameters: it is calibrated on its own scale "
            "(mean 0, SD 1), not on the bank's. Write it back only if that is what you want."
        ),
        "notConverged": _("The estimation did not converge: read the figures with care."),
        "role_anchor": _("anchor (bank parameters kept)"),
        "role_new": _("new: estimated"),
        "role_left_out": _("left out"),
        "note_person_marked": _("marked by a person"),
        "note_few_responses": _("too few responses"),
        "note_no_variance": _("everyone scored the same"),
        "flag_weak": _("weak discrimination"),
        "flag_steep": _("very steep"),
        "flag_extreme": _("extreme difficulty"),
        "flag_imprecise": _("imprecise"),
        "flag_misfit": _("misfit"),
        "rekeyed": _("re-keyed here: not written"),
        "trial": _("trial item"),
        "dropped": _("dropped"),
        "written": _("%(count)s items' parameters are written to the bank."),
        "confirmApply": _("Write the parameters of the %(count)s chosen items into the item bank?"),
        "chooseSome": _("Choose at least one item."),
        "itemLabel": _("Item %(n)s"),
        "history": _("Calibration #%(id)s · %(when)s · %(model)s · %(status)s"),
    }
