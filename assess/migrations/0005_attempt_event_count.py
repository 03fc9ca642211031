"""A count of each attempt's history (issue 8, finding 6: the history had no cap).

Every attempt's ``event_count`` starts at the number of changes its history holds.
"""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_history(apps, schema_editor):
    Attempt = apps.get_model("assess", "Attempt")
    AnswerEvent = apps.get_model("assess", "AnswerEvent")
    counts = (
        AnswerEvent.objects.filter(attempt_id=OuterRef("pk"))
        .order_by()
        .values("attempt_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Attempt.objects.update(event_count=Coalesce(Subquery(counts), 0))


class Migration(migrations.Migration):
    dependencies = [("assess", "0004_form_item_response_ids")]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="event_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_history, migrations.RunPython.noop),
    ]
