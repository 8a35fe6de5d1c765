"""Codes and labels of DfE's "Special educational needs in England" statistics."""

# Our name for each column → the names it has had in DfE's releases, newest first.
SEN_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "time_period": ("time_period",),
    "time_identifier": ("time_identifier",),
    "geographic_level": ("geographic_level",),
    "region_code": ("region_code",),
    "region_name": ("region_name",),
    "old_la_code": ("old_la_code", "la_code"),
    "new_la_code": ("new_la_code",),
    "la_name": ("la_name",),
    "phase": ("phase_type_grouping", "phase_type", "phase"),
    "provision": ("sen_provision", "sen_status"),
    "need_label": ("sen_primary_need", "primary_need"),
    "pupil_count": ("total_pupil_count", "number_of_pupils"),
}
SEN_REQUIRED_COLUMNS = ("time_period", "geographic_level", "provision", "need_label", "pupil_count")

GEOGRAPHIC_LEVELS = ("National", "Regional", "Local authority")

# Census primary-need labels (lower-cased) → our need codes (exchange.Need).
CENSUS_NEED_CODES = {
    "autistic spectrum disorder": "ASD",
    "speech, language and communication needs": "SLCN",
    "specific learning difficulty": "SPLD",
    "moderate learning difficulty": "MLD",
    "severe learning difficulty": "SLD",
    "profound & multiple learning difficulty": "PMLD",
    "profound and multiple learning difficulty": "PMLD",
    "social, emotional and mental health": "SEMH",
    "behaviour, emotional and social difficulties": "SEMH",
    "hearing impairment": "HI",
    "visual impairment": "VI",
    "vision impairment": "VI",
    "multi-sensory impairment": "MSI",
    "physical disability": "PD",
    "other difficulty/disability": "OTH",
}
# Labels that are real census categories but none of our needs: kept, with no need code.
CENSUS_NEED_LABELS_WITHOUT_CODE = frozenset(
    {"sen support but no specialist assessment of type of need", "total"}
)
