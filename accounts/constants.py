"""Codes and labels from DfE data (GIAS establishment file, SEN2 / school census)."""

# DfE SEN primary-need codes (DOMAIN.md). The taxonomy table in exchange/ holds their names.
NEED_CODES = ("ASD", "SLCN", "SPLD", "MLD", "SLD", "PMLD", "SEMH", "HI", "VI", "MSI", "PD", "OTH")

# Codes seen in real data that mean one of ours. GIAS labels start "<CODE> - <label>".
NEED_CODE_ALIASES = {"AUT": "ASD", "BESD": "SEMH"}

GIAS_OPEN_STATUSES = frozenset({"Open", "Open, but proposed to close"})

GIAS_SPECIAL_TYPES = frozenset(
    {
        "Community special school",
        "Foundation special school",
        "Academy special converter",
        "Academy special sponsor led",
        "Free schools special",
        "Non-maintained special school",
        "Other independent special school",
    }
)
GIAS_SPECIAL_TYPE_GROUP = "Special schools"

# Establishments that are not schools a request or an expert would come from.
GIAS_OTHER_TYPE_GROUPS = frozenset(
    {"Colleges", "Universities", "Other types", "Welsh schools", "Online provider"}
)
GIAS_OTHER_TYPES = frozenset(
    {
        "Pupil referral unit",
        "Academy alternative provision converter",
        "Academy alternative provision sponsor led",
        "Free schools alternative provision",
    }
)

# GIAS writes "Not applicable" (any case) or nothing for an empty value.
GIAS_EMPTY_VALUES = frozenset({"", "not applicable"})
