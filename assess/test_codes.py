"""Test codes (mã đề): one master form's items shuffled within parts, options within items.

Each code is a form of its own (``Form.Kind.CODE``, ``parent`` the master) holding the same
item versions with the same points: the positions are a permutation inside each part, and
each choice item has an *arrangement* of its options (``itembank.content.new_arrangement``:
pinned options such as "all of the above" keep their place). Everything a code shows follows
from the seed: the same seed gives the same codes. Each code draws its own shown ids, like
any form.

Answers are stored in the version's ids and each code item knows its master position
(``FormItem.master_position``): a code is scored exactly as the master form is, and its
scores are reported in the master form's order (``assess.services.attempt_score``).

The key table of a code lists, position by position, the key as that code shows it
(``itembank.content.arranged_key``): the option letters after the shuffle, and for the other
types the numbers and letters its exam page and its paper show, never an author's id.
"""

from __future__ import annotations

import io
import random
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.models import User
from itembank import content
from itembank.models import ItemVersion

from .authoring import MAX_CODE, form_is_frozen, require_manager
from .models import Form, FormItem

MAX_CODES = 99
FIRST_CODE = "101"


def _code_names(first: str, count: int) -> list[str]:
    """101, 102, ...; a first code that is not a number is followed by -2, -3, ..."""
    first = first.strip()
    if first.isascii() and first.isdigit():
        width = len(first)
        return [str(int(first) + offset).zfill(width) for offset in range(count)]
    return [first] + [f"{first}-{offset + 1}" for offset in range(1, count)]


def codes_remove(form: Form) -> int:
    """Delete a master form's codes (no attempt may be on them); how many were removed."""
    codes = Form.objects.filter(parent=form)
    FormItem.objects.filter(form__in=codes).delete()
    removed, _detail = codes.delete()
    return removed


def _shuffled(master_items: Sequence[FormItem], rng: random.Random) -> list[FormItem]:
    """The master's items in a new order inside each part, each with a new option order."""
    parts: dict[int, list[FormItem]] = {}
    for item in master_items:
        parts.setdefault(item.part, []).append(item)
    shuffled: list[FormItem] = []
    for part in sorted(parts):
        items = list(parts[part])
        rng.shuffle(items)
        shuffled.extend(items)
    return shuffled


def codes_check(*, by: User, form: Form, count: int, first: str = FIRST_CODE) -> list[str]:
    """Refuse what ``codes_generate`` would refuse before it starts; the codes' names."""
    if form.kind != Form.Kind.MASTER:
        raise ValidationError({"form": [_("Test codes are made from a master form.")]})
    require_manager(by, form.assessment)
    if form_is_frozen(form):
        raise ValidationError(
            {"form": [_("Form %(code)s is frozen: a sitting using it has opened.") % {"code": form.code}]}
        )
    if not 1 <= count <= MAX_CODES:
        raise ValidationError({"count": [_("Make 1 to %(max)d test codes.") % {"max": MAX_CODES}]})
    names = _code_names(first, count)
    if any(not name or len(name) > MAX_CODE for name in names):
        raise ValidationError({"first": [_("The codes must be 1 to %(max)d characters.") % {"max": MAX_CODE}]})
    return names


@transaction.atomic
def codes_generate(
    *,
    by: User,
    form_id: int,
    count: int,
    first: str = FIRST_CODE,
    seed: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Form]:
    """Make ``count`` test codes of a master form, replacing the ones it had.

    ``progress(done, total, message)`` hears each code made (a job's progress bar).
    """
    form = Form.objects.select_for_update().select_related("assessment").get(pk=form_id)
    names = codes_check(by=by, form=form, count=count, first=first)
    codes_remove(form)
    clash = sorted(Form.objects.filter(assessment=form.assessment, code__in=names).values_list("code", flat=True))
    if clash:
        raise ValidationError(
            {"first": [_("This assessment already has forms %(codes)s.") % {"codes": ", ".join(clash)}]}
        )
    seed = secrets.randbelow(2**62) if seed is None else seed
    master_items = list(FormItem.objects.filter(form=form).select_related("item_version__item").order_by("position"))
    codes = Form.objects.bulk_create(
        Form(
            assessment=form.assessment,
            code=name,
            kind=Form.Kind.CODE,
            parent=form,
            seed=seed,
            created_by=by,
        )
        for name in names
    )
    rows = []
    for number, code in enumerate(codes):
        if progress is not None:
            progress(number, count + 1, code.code)
        rng = random.Random(f"{seed}:{number}")
        for position, item in enumerate(_shuffled(master_items, rng), start=1):
            version = item.item_version
            item_type = version.item.item_type
            rows.append(
                FormItem(
                    form=code,
                    position=position,
                    part=item.part,
                    master_position=item.position,
                    item_version=version,
                    points=item.points,
                    all_or_nothing=item.all_or_nothing,
                    arrangement=content.new_arrangement(item_type, version.content, rng),
                    response_ids=content.new_response_ids(item_type, version.content),
                )
            )
    _check_maps_back(master_items, rows)
    if progress is not None:
        progress(count, count + 1, "")
    FormItem.objects.bulk_create(rows)
    return codes


def _check_maps_back(master_items: Sequence[FormItem], rows: Sequence[FormItem]) -> None:
    """Every code holds each master item once, in its part, with its options only reordered.

    A code that would not map back to its form is refused whole (nothing is written): it
    would score or show wrongly.
    """
    master = {item.position: item for item in master_items}
    by_code: dict[int, list[FormItem]] = {}
    for row in rows:
        by_code.setdefault(id(row.form), []).append(row)
    for code_rows in by_code.values():
        seen = sorted(row.master_position for row in code_rows)
        broken = seen != sorted(master)
        for row in code_rows:
            source = master.get(row.master_position)
            if source is None or source.item_version_id != row.item_version_id or source.part != row.part:
                broken = True
                break
            try:
                content.arrange(source.item_version.item.item_type, source.item_version.content, row.arrangement)
            except (ValueError, KeyError):
                broken = True
                break
        if broken:
            code = code_rows[0].form.code
            raise ValidationError(
                {
                    "form": [
                        _("Test code %(code)s would not map back to its master form: nothing was made.")
                        % {"code": code}
                    ]
                }
            )


def key_tables(form: Form) -> dict[str, Any]:
    """The key of every code of a master form (or of the master alone if it has none).

    ``{"positions": n, "codes": [{"code", "keys": [...], "master_positions": [...]}]}``:
    ``keys[i]`` is the key of position i + 1 as that code shows it.
    """
    master = form.parent or form
    forms = list(Form.objects.filter(parent=master).order_by("code")) or [master]
    # Every code holds the master's versions: read each version once, the rows as values.
    versions = {
        version.pk: version
        for version in ItemVersion.objects.filter(form_items__form=master).select_related("item").distinct()
    }
    rows_by_form: dict[int, list[tuple[int, int, int | None, dict]]] = {f.pk: [] for f in forms}
    for form_id, position, version_id, master_position, arrangement in (
        FormItem.objects.filter(form__in=forms)
        .order_by("form_id", "position")
        .values_list("form_id", "position", "item_version_id", "master_position", "arrangement")
    ):
        rows_by_form[form_id].append((position, version_id, master_position, arrangement))
    tables = []
    for f in forms:
        rows = rows_by_form[f.pk]
        tables.append(
            {
                "code": f.code,
                "keys": [
                    content.arranged_key(versions[v].item.item_type, versions[v].content, arrangement, seed=v)
                    for _position, v, _master, arrangement in rows
                ],
                "master_positions": [master or position for position, _v, master, _a in rows],
            }
        )
    return {"master": master.code, "positions": max((len(t["keys"]) for t in tables), default=0), "codes": tables}


def key_tables_xlsx(form: Form) -> bytes:
    """The key tables as a workbook: one row a code (its keys by position), then the map of
    every code's positions to the master form's."""
    tables = key_tables(form)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Keys")[:31]
    header = [_("Test code")] + [str(n) for n in range(1, tables["positions"] + 1)]
    sheet.append(header)
    for table in tables["codes"]:
        sheet.append([table["code"], *table["keys"]])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # a key is text, never a formula (a text answer may start with =)
    mapping = workbook.create_sheet(_("Positions")[:31])
    mapping.append([_("Test code")] + [str(n) for n in range(1, tables["positions"] + 1)])
    for table in tables["codes"]:
        mapping.append([table["code"], *table["master_positions"]])
    mapping.append([])
    mapping.append(
        [_("Each cell is the position of the same item on master form %(code)s.") % {"code": tables["master"]}]
    )
    for worksheet in (sheet, mapping):
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
