from django.db import migrations


def create_default_policy(apps, schema_editor):
    MatchingPolicy = apps.get_model("matching", "MatchingPolicy")
    MatchingPolicy.objects.get_or_create(
        version=1, defaults={"is_active": True, "note": "The default weights and rules."}
    )


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
