"""How the taxonomy's needs and topics relate: the topics each SEN need usually touches.

The needs and topics themselves are rows (loaded by migration ``0002_taxonomy``). This map
is what the demo data (``demo/seed.py``) and the benchmark (``bench/matching.py``) draw an
expert's or a request's topics from, given their needs, so both use the one table.
"""

TOPICS_BY_NEED: dict[str, list[str]] = {
    "ASD": ["sensory-regulation", "visual-timetables", "unstructured-times", "transition"],
    "SLCN": ["aac", "visual-timetables", "curriculum-adaptation"],
    "SEMH": ["behaviour-as-communication", "attachment-trauma", "ebsa", "adhd-strategies"],
    "SPLD": ["early-reading-spld", "maths-interventions", "curriculum-adaptation"],
    "MLD": ["curriculum-adaptation", "maths-interventions"],
    "SLD": ["aac", "personal-care", "curriculum-adaptation"],
    "PMLD": ["moving-handling", "personal-care", "aac"],
    "HI": ["deaf-awareness"],
    "VI": ["vi-access-technology"],
    "MSI": ["deaf-awareness", "vi-access-technology"],
    "PD": ["moving-handling", "personal-care"],
    "OTH": ["curriculum-adaptation"],
}
