from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exchange", "0008_scheduling_models_move_out")]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="event",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
