from django.db import models


class Role(models.TextChoices):
    SCHOOL_STAFF = "school_staff", "School staff"
    SENCO = "senco", "SENCO (school lead)"
    EXPERT = "expert", "Expert"
    TRUST_COORDINATOR = "trust_coordinator", "Trust coordinator"
    LA_OFFICER = "la_officer", "Local authority officer"


class SchoolKind(models.TextChoices):
    SPECIAL = "special", "Special school"
    MAINSTREAM = "mainstream", "Mainstream school"
    MAINSTREAM_RESOURCED = (
        "mainstream_resourced",
        "Mainstream school with resourced provision or SEN unit",
    )
    OTHER = "other", "Other establishment (college, alternative provision, …)"


class Phase(models.TextChoices):
    """GIAS ``PhaseOfEducation (name)``, as stable slugs."""

    NURSERY = "nursery", "Nursery"
    PRIMARY = "primary", "Primary"
    MIDDLE_DEEMED_PRIMARY = "middle_deemed_primary", "Middle deemed primary"
    SECONDARY = "secondary", "Secondary"
    MIDDLE_DEEMED_SECONDARY = "middle_deemed_secondary", "Middle deemed secondary"
    SIXTEEN_PLUS = "sixteen_plus", "16 plus"
    ALL_THROUGH = "all_through", "All-through"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
