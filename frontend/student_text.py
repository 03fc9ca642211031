"""The words of the student's dashboard script (``student.js``), translated on the server.

The page puts this dict in ``#student-text``; the script holds no words of its own.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def student_text() -> dict[str, str]:
    return {
        "error": _("Error"),
        "networkError": _("The server cannot be reached. Check the connection and try again."),
        "preparing": _("Preparing a new attempt…"),
    }
