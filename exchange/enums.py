from django.db import models


class BroadArea(models.TextChoices):
    """The four broad areas of need of the SEND Code of Practice (2015)."""

    COMMUNICATION = "communication_interaction", "Communication and interaction"
    COGNITION = "cognition_learning", "Cognition and learning"
    SEMH = "semh", "Social, emotional and mental health"
    SENSORY_PHYSICAL = "sensory_physical", "Sensory and/or physical"
    UNCATEGORISED = "uncategorised", "Uncategorised"


class Level(models.TextChoices):
    AWARE = "aware", "Aware"
    PRACTITIONER = "practitioner", "Practitioner"
    SPECIALIST = "specialist", "Specialist"
    LEAD = "lead", "Lead"


LEVEL_RANK: dict[str, int] = {
    Level.AWARE: 1,
    Level.PRACTITIONER: 2,
    Level.SPECIALIST: 3,
    Level.LEAD: 4,
}


class EducationPhase(models.TextChoices):
    EARLY_YEARS = "early_years", "Early years"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    POST_16 = "post_16", "Post-16"


class Format(models.TextChoices):
    OBSERVATION_VISIT = "observation_visit", "Observation visit"
    CONSULTATION = "consultation", "Consultation"
    STAFF_TRAINING = "staff_training", "Staff training for a group"
    VIDEO_CALL = "video_call", "Video call"


IN_PERSON_FORMATS = frozenset({Format.OBSERVATION_VISIT, Format.STAFF_TRAINING})


class CredentialKind(models.TextChoices):
    QTS = "qts", "Qualified teacher status (QTS)"
    MQ_HEARING = "mq_hearing", "Mandatory qualification: hearing impairment (QToD/QTHI)"
    MQ_VISION = "mq_vision", "Mandatory qualification: vision impairment (QTVI)"
    MQ_MULTI_SENSORY = "mq_multi_sensory", "Mandatory qualification: multi-sensory (QTMSI)"
    NPQ_SENCO = "npq_senco", "NPQ for SENCOs"
    REGISTERED_THERAPIST = "registered_therapist", "Registered therapist (HCPC)"
    OTHER = "other", "Other"


# The mandatory qualification a teacher of pupils with a sensory need must hold.
MANDATORY_QUALIFICATION_FOR_NEED = {
    "HI": CredentialKind.MQ_HEARING,
    "VI": CredentialKind.MQ_VISION,
    "MSI": CredentialKind.MQ_MULTI_SENSORY,
}


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class ExceptionKind(models.TextChoices):
    UNAVAILABLE = "unavailable", "Unavailable"
    EXTRA = "extra", "Extra availability"


class RequestScope(models.TextChoices):
    WHOLE_SCHOOL = "whole_school", "Whole school"
    CLASS = "class", "A class"
    COHORT = "cohort", "A cohort"
    ONE_PUPIL = "one_pupil", "One pupil"


class SenStatus(models.TextChoices):
    EHCP = "ehcp", "Education, health and care plan"
    SEN_SUPPORT = "sen_support", "SEN support"
    MIXED = "mixed", "Both"


class RequestFormat(models.TextChoices):
    ANY = "any", "Any format"
    OBSERVATION_VISIT = Format.OBSERVATION_VISIT.value, Format.OBSERVATION_VISIT.label
    CONSULTATION = Format.CONSULTATION.value, Format.CONSULTATION.label
    STAFF_TRAINING = Format.STAFF_TRAINING.value, Format.STAFF_TRAINING.label
    VIDEO_CALL = Format.VIDEO_CALL.value, Format.VIDEO_CALL.label


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine (within a term)"
    SOON = "soon", "Soon (within a few weeks)"
    URGENT = "urgent", "Urgent (placement at risk)"


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    MATCHING = "matching", "Matching"
    PROPOSED = "proposed", "Experts proposed"
    ACCEPTED = "accepted", "Accepted by an expert"
    SCHEDULED = "scheduled", "Session scheduled"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    UNMATCHED = "unmatched", "No expert available"


class ClosureKind(models.TextChoices):
    HOLIDAY = "holiday", "School holiday"
    INSET = "inset", "INSET (training) day"
    CLOSURE = "closure", "Other closure"


class NotificationKind(models.TextChoices):
    PROPOSAL_NEW = "proposal_new", "New proposal"
    PROPOSAL_ACCEPTED = "proposal_accepted", "Proposal accepted"
    PROPOSAL_REMINDER = "proposal_reminder", "Reminder: a proposal is about to expire"
    SLOTS_OFFERED = "slots_offered", "Slots offered"
    NO_SLOTS = "no_slots", "No common time found"
    SESSION_CONFIRMED = "session_confirmed", "Session confirmed"
    SESSION_CHANGED = "session_changed", "Session changed"
    SESSION_CANCELLED = "session_cancelled", "Session cancelled"
    REMINDER_24H = "reminder_24h", "Reminder: 24 hours before"
    REMINDER_1H = "reminder_1h", "Reminder: 1 hour before"
    RESOURCE_APPROVED = "resource_approved", "Library resource approved"
    RESOURCE_REJECTED = "resource_rejected", "Library resource rejected"
    FEEDBACK_REMINDER = "feedback_reminder", "Reminder: feedback on a session"
    REVIEW_REMINDER = "review_reminder", "Reminder: an outcome review is due"
