from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("itembank", "0004_single_choice_content")]

    operations = [
        migrations.RemoveField(
            model_name="itemversion",
            name="key",
        ),
        migrations.RemoveField(
            model_name="itemversion",
            name="options",
        ),
        migrations.RemoveField(
            model_name="itemversion",
            name="stem",
        ),
        migrations.AlterField(
            model_name="itemversion",
            name="content",
            field=models.JSONField(verbose_name="content"),
        ),
    ]
