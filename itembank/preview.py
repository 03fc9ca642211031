"""What a student sees of an item version: one function for the exam page and the preview.

The exam page (``assess.selectors.form_content``) and the author's preview both call
``student_preview``, so a teacher sees what a student will get; neither ever holds a key
(``itembank.content.student_view`` leaves them out). The one difference is the ids: the
exam page shows the random ids of its form item (``FormItem.response_ids``), the preview
the version's own, which its key summary names. Put back through the form item's ids, the
exam page's view is the preview's, byte for byte.
"""

from __future__ import annotations

from django.utils.html import format_html

from . import content
from .models import Item, ItemVersion, Stimulus
from .rendering import render_html


def media_url(name: str) -> str:
    """``media:<id>`` in item text -> the address that serves the file."""
    return f"/media/{name}/"


def stimulus_view(stimulus: Stimulus) -> dict:
    if stimulus.kind == Stimulus.Kind.IMAGE and stimulus.media is not None:
        html = format_html('<img src="{}" alt="{}">', stimulus.media.url, stimulus.media.alt_text)
    elif stimulus.kind == Stimulus.Kind.AUDIO and stimulus.media is not None:
        html = format_html(
            '<audio controls preload="none" src="{}" aria-label="{}"></audio>',
            stimulus.media.url,
            stimulus.media.alt_text or stimulus.title,
        )
    else:
        html = render_html(stimulus.body, media_url=media_url)
    if stimulus.body.strip() and stimulus.kind in (Stimulus.Kind.IMAGE, Stimulus.Kind.AUDIO):
        html += render_html(stimulus.body, media_url=media_url)
    return {"id": stimulus.pk, "title": stimulus.title, "html": str(html)}  # the title is plain text


def student_preview(
    version: ItemVersion,
    *,
    item: Item | None = None,
    position: int = 1,
    points=None,
    ids: content.ResponseIds | None = None,
    arrangement: content.Arrangement | None = None,
) -> dict:
    """The student view of ``version`` at ``position``; with ``ids``, in those shown ids; with
    ``arrangement``, the options in a test code's order."""
    item = item or version.item
    view = content.student_view(
        item.item_type, version.content, seed=version.pk or 0, media_url=media_url, ids=ids, arrangement=arrangement
    )
    view = {"item": position, "points": str(points if points is not None else version.points), **view}
    view["stimulus"] = stimulus_view(version.stimulus) if version.stimulus_id else None
    return view
