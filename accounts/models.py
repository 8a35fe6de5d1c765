from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.enums import Phase, Role, SchoolKind


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # The whole address, not only the domain: logins are case-insensitive.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address. Platform admins have ``is_staff``."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Platform admin: may use Django admin and sees everything."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_email(self.email)


class LocalAuthority(models.Model):
    code = models.CharField(max_length=3, unique=True, help_text="DfE LA code, e.g. 873.")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Trust(models.Model):
    """A multi-academy trust (GIAS ``Trusts (code)`` / ``Trusts (name)``)."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """An establishment from GIAS, keyed by its DfE URN. Holds no personal data."""

    urn = models.PositiveIntegerField(primary_key=True, verbose_name="URN")
    name = models.CharField(max_length=200)
    type_name = models.CharField(max_length=100, help_text="GIAS TypeOfEstablishment.")
    type_group = models.CharField(max_length=100, help_text="GIAS EstablishmentTypeGroup.")
    kind = models.CharField(max_length=24, choices=SchoolKind.choices, db_index=True)
    phase = models.CharField(max_length=24, choices=Phase.choices, db_index=True)
    statutory_low_age = models.PositiveSmallIntegerField(null=True, blank=True)
    statutory_high_age = models.PositiveSmallIntegerField(null=True, blank=True)
    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="schools"
    )
    region = models.CharField(max_length=60, blank=True, db_index=True, help_text="GIAS GOR.")
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    # British National Grid (EPSG:27700), metres: distance is plain Euclidean distance.
    easting = models.PositiveIntegerField(null=True, blank=True)
    northing = models.PositiveIntegerField(null=True, blank=True)
    trust = models.ForeignKey(
        Trust, on_delete=models.SET_NULL, null=True, blank=True, related_name="schools"
    )
    resourced_provision_type = models.CharField(max_length=60, blank=True)
    resourced_provision_capacity = models.PositiveIntegerField(null=True, blank=True)
    sen_unit_capacity = models.PositiveIntegerField(null=True, blank=True)
    gias_status = models.CharField(max_length=60, help_text="GIAS EstablishmentStatus.")
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "urn"]
        constraints = [
            models.CheckConstraint(
                condition=Q(statutory_low_age__isnull=True)
                | Q(statutory_high_age__isnull=True)
                | Q(statutory_low_age__lte=models.F("statutory_high_age")),
                name="accounts_school_age_range_valid",
            ),
        ]
        indexes = [models.Index(fields=["easting", "northing"], name="accounts_school_grid_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"


class SchoolNeedProvision(models.Model):
    """A SEN provision a school declares in GIAS (``SEN1`` … ``SEN13``), as a need code."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="sen_provisions")
    need_code = models.CharField(max_length=8, db_index=True)
    label = models.CharField(max_length=100, help_text="The label as GIAS writes it.")

    class Meta:
        ordering = ["need_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "need_code"], name="accounts_school_need_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id}: {self.need_code}"


class Membership(models.Model):
    """A user's role at a school; for trust coordinators, at a trust; for local-authority
    officers, at a local authority."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=24, choices=Role.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    trust = models.ForeignKey(
        Trust, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    local_authority = models.ForeignKey(
        LocalAuthority,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="Local-authority officers only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role"]
        constraints = [
            # Each role is attached to exactly one kind of place: a trust coordinator to a
            # trust, a local-authority officer to a local authority, every other role to a
            # school.
            models.CheckConstraint(
                condition=(
                    Q(
                        role=Role.TRUST_COORDINATOR,
                        trust__isnull=False,
                        school__isnull=True,
                        local_authority__isnull=True,
                    )
                    | Q(
                        role=Role.LA_OFFICER,
                        local_authority__isnull=False,
                        school__isnull=True,
                        trust__isnull=True,
                    )
                    | (
                        ~Q(role__in=[Role.TRUST_COORDINATOR, Role.LA_OFFICER])
                        & Q(school__isnull=False, trust__isnull=True, local_authority__isnull=True)
                    )
                ),
                name="accounts_membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "school", "role"],
                condition=Q(school__isnull=False),
                name="accounts_membership_school_role_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "trust", "role"],
                condition=Q(trust__isnull=False),
                name="accounts_membership_trust_role_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "local_authority", "role"],
                condition=Q(local_authority__isnull=False),
                name="accounts_membership_la_role_unique",
            ),
        ]

    def __str__(self) -> str:
        place = self.school or self.trust or self.local_authority
        return f"{self.user} — {self.get_role_display()} at {place}"
