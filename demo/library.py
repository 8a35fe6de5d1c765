"""The demo's library of guidance: a handful of approved resources by the demo experts,
across needs, phases and evidence levels, one with a file, and one waiting for the
admin's review, so a newcomer sees search, moderation and downloads."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from exchange.models import Need, Topic
from library import services
from library.models import Resource

# title, summary, body, needs, topics, phases, evidence level, its companion field
RESOURCES: list[tuple[str, str, str, list[str], list[str], list[str], str, dict[str, Any]]] = [
    (
        "Sensory breaks that fit a busy timetable",
        "Short, planned movement and quiet breaks for pupils who become overloaded.",
        "## When to use it\n\nPupils who cover their ears, leave the room or stop speaking "
        "after noisy transitions.\n\n## How\n\n1. Agree a signal the pupil can use.\n"
        "2. Plan two or three breaks into the day, before the hardest times.\n"
        "3. Keep each break short (3–5 minutes) and predictable.\n\n"
        "Review after two weeks with the staff who know the pupil best.",
        ["ASD"],
        ["sensory-regulation"],
        ["primary", "secondary"],
        "classroom_practice",
        {},
    ),
    (
        "Visual timetables for a whole class",
        "Moving a class to a shared visual timetable, with a personal strip for pupils who "
        "need more.",
        "Photograph each activity, pin the day on the wall, and move a marker as the day "
        "goes. Pupils with a personal strip remove each card when it is done.\n\n"
        "| week | questions of *what next?* per lesson |\n|---|---|\n| 1 | 9 |\n| 3 | 2 |",
        ["ASD", "SLCN"],
        ["visual-timetables"],
        ["early_years", "primary"],
        "evaluated_in_school",
        {
            "outcome_reference": "Spring term review: 'what next?' questions fell from 9 to 2 a "
            "lesson; staff confidence 2 → 4 on a 5-point scale."
        },
    ),
    (
        "De-escalation in unstructured times",
        "A shared script and plan for lunchtimes and breaks when a group escalates quickly.",
        "## The script\n\nName the feeling, offer a choice, give time. Keep your voice low "
        "and your body side-on.\n\n## The plan\n\nA key adult on duty, a calm space that is "
        "not a punishment, and a return-to-learning routine.",
        ["SEMH"],
        ["behaviour-as-communication", "unstructured-times"],
        ["secondary"],
        "research_backed",
        {
            "citation": "Education Endowment Foundation (2019). Improving Behaviour in Schools: "
            "Guidance Report."
        },
    ),
    (
        "Core vocabulary boards in Reception",
        "Modelling language through play with a core vocabulary board.",
        "Point to the words as you say them, during play, snack and tidy-up. Expect nothing "
        "back at first: modelling comes before asking.",
        ["SLCN"],
        ["aac"],
        ["early_years"],
        "classroom_practice",
        {},
    ),
    (
        "Multisensory phonics for older readers",
        "A structured, cumulative reading intervention a TA team can run with a Year 5 group.",
        "Three 20-minute sessions a week: review, teach one new grapheme, read decodable "
        "text, write a dictated sentence. Track each pupil's phase every half term.",
        ["SPLD"],
        ["early-reading-spld"],
        ["primary"],
        "research_backed",
        {
            "citation": "Rose, J. (2009). Identifying and Teaching Children and Young People "
            "with Dyslexia and Literacy Difficulties. DCSF."
        },
    ),
]

# A small valid PDF: the demo shows an attachment and its safe download.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def library_seed(*, admin: User, authors: list[User]) -> int:
    """The demo resources, once (none are added when the demo already has some)."""
    if Resource.objects.exists():
        return 0
    needs = {need.code: need for need in Need.objects.all()}
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    for index, (title, summary, body, codes, slugs, phases, level, extra) in enumerate(RESOURCES):
        resource = services.resource_create(
            by=authors[index % len(authors)],
            tags=services.Tags(
                needs=[needs[code] for code in codes],
                topics=[topics[slug] for slug in slugs],
                phases=phases,
            ),
            title=title,
            summary=summary,
            body=body,
            evidence_level=level,
            visibility="everyone",
            **extra,
        )
        if index == 0:
            services.resource_file_add(
                resource=resource,
                by=resource.author,  # type: ignore[arg-type]
                upload=SimpleUploadedFile("sensory-break-plan.pdf", PDF, "application/pdf"),
            )
        services.resource_submit(resource=resource, by=authors[0])
        if index < len(RESOURCES) - 1:  # the last waits for the admin's review
            services.resource_approve(resource=resource, by=admin)
    return len(RESOURCES)
