"""Shown ids per form item (issue 8, finding 2: the ids authors type often follow the key).

Every existing form item gets its own random ids, drawn as ``services.form_create`` draws
them; the answers already stored keep the version's ids, which is what answers are stored
in from now on too.
"""

from django.db import migrations, models

from itembank.content import new_response_ids


def draw_response_ids(apps, schema_editor):
    FormItem = apps.get_model("assess", "FormItem")
    for form_item in FormItem.objects.select_related("item_version__item").iterator():
        version = form_item.item_version
        form_item.response_ids = new_response_ids(version.item.item_type, version.content)
        form_item.save(update_fields=["response_ids"])


class Migration(migrations.Migration):
    dependencies = [
        ("assess", "0003_blueprints"),
        ("itembank", "0007_import_batches"),
    ]

    operations = [
        migrations.AddField(
            model_name="formitem",
            name="response_ids",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(draw_response_ids, migrations.RunPython.noop),
    ]
