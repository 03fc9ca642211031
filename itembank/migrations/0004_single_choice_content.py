"""Every existing item version was single choice: its stem, options and key move into content."""

import html
import re
import unicodedata

from django.db import migrations


def _html(text):
    return html.escape(text or "", quote=False).replace("\n", "<br>")


def _plain(fragment):
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment or ""))
    text = "".join(
        c
        for c in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        if not unicodedata.combining(c)
    )
    return " ".join(text.lower().split())


def single_choice_columns_to_content(apps, schema_editor):
    """Every existing version is single choice: its stem, options and key move into content."""
    ItemVersion = apps.get_model("itembank", "ItemVersion")
    Item = apps.get_model("itembank", "Item")
    for version in ItemVersion.objects.all().iterator():
        content = {
            "stem": _html(version.stem),
            "options": [{"id": o["id"], "text": _html(o["text"])} for o in version.options],
            "key": version.key,
        }
        ItemVersion.objects.filter(pk=version.pk).update(content=content)
    for item in Item.objects.all().iterator():
        latest = ItemVersion.objects.filter(item_id=item.pk).order_by("-number").first()
        if latest is not None:
            texts = [latest.content["stem"]] + [o["text"] for o in latest.content["options"]]
            Item.objects.filter(pk=item.pk).update(search_text=_plain(" ".join(texts)))


def content_to_single_choice_columns(apps, schema_editor):
    ItemVersion = apps.get_model("itembank", "ItemVersion")
    for version in ItemVersion.objects.all().iterator():
        content = version.content or {}
        if "key" not in content:
            raise RuntimeError(f"item version {version.pk} is not single choice; it cannot go back")
        ItemVersion.objects.filter(pk=version.pk).update(
            stem=html.unescape(content["stem"].replace("<br>", "\n")),
            options=[
                {"id": o["id"], "text": html.unescape(o["text"].replace("<br>", "\n"))} for o in content["options"]
            ],
            key=content["key"],
        )


class Migration(migrations.Migration):
    dependencies = [("itembank", "0003_item_types_content_sharing_media")]

    operations = [
        migrations.RunPython(single_choice_columns_to_content, content_to_single_choice_columns),
    ]
