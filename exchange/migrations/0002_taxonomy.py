"""Loads the DfE SEN primary-need codes and a starting list of topics (DOMAIN.md)."""

from django.db import migrations

NEEDS = [
    ("ASD", "Autistic spectrum disorder", "communication_interaction"),
    ("SLCN", "Speech, language and communication needs", "communication_interaction"),
    ("SPLD", "Specific learning difficulty (dyslexia, dyscalculia, dyspraxia)", "cognition_learning"),
    ("MLD", "Moderate learning difficulty", "cognition_learning"),
    ("SLD", "Severe learning difficulty", "cognition_learning"),
    ("PMLD", "Profound and multiple learning difficulty", "cognition_learning"),
    ("SEMH", "Social, emotional and mental health", "semh"),
    ("HI", "Hearing impairment", "sensory_physical"),
    ("VI", "Vision impairment", "sensory_physical"),
    ("MSI", "Multi-sensory impairment", "sensory_physical"),
    ("PD", "Physical disability", "sensory_physical"),
    ("OTH", "Other difficulty/disability", "uncategorised"),
]

TOPICS = [
    ("sensory-regulation", "Sensory regulation"),
    ("visual-timetables", "Visual timetables and structure"),
    ("aac", "AAC (augmentative and alternative communication)"),
    ("behaviour-as-communication", "Behaviour as communication"),
    ("ebsa", "Emotionally based school avoidance"),
    ("attachment-trauma", "Attachment and trauma"),
    ("adhd-strategies", "ADHD strategies"),
    ("early-reading-spld", "Early reading and phonics for SpLD"),
    ("maths-interventions", "Maths interventions"),
    ("curriculum-adaptation", "Curriculum adaptation"),
    ("transition", "Transition between phases"),
    ("unstructured-times", "Unstructured times"),
    ("deaf-awareness", "Deaf awareness"),
    ("vi-access-technology", "Access technology for VI"),
    ("moving-handling", "Moving and handling"),
    ("personal-care", "Toileting and personal care"),
]


def load(apps, schema_editor):
    Need = apps.get_model("exchange", "Need")
    Topic = apps.get_model("exchange", "Topic")
    for position, (code, name, area) in enumerate(NEEDS):
        Need.objects.update_or_create(
            code=code, defaults={"name": name, "broad_area": area, "position": position}
        )
    for slug, name in TOPICS:
        Topic.objects.get_or_create(slug=slug, defaults={"name": name})


def unload(apps, schema_editor):
    apps.get_model("exchange", "Need").objects.filter(code__in=[n[0] for n in NEEDS]).delete()
    apps.get_model("exchange", "Topic").objects.filter(slug__in=[t[0] for t in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
