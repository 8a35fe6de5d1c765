import factory
from factory.django import DjangoModelFactory

from accounts.enums import Phase, Role, SchoolKind
from accounts.models import LocalAuthority, Membership, School, Trust, User
from exchange.models import Need, Specialism, Topic

PASSWORD = "a-long-test-password"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password(PASSWORD)


class LocalAuthorityFactory(DjangoModelFactory):
    class Meta:
        model = LocalAuthority
        django_get_or_create = ("code",)

    # 500–698: no English LA has such a code, and no test names one, so a generated LA never
    # turns out to be a fixed one (Cambridgeshire, 873) by get_or_create.
    code = factory.Sequence(lambda n: f"{500 + n % 199}")
    name = factory.LazyAttribute(lambda la: f"Authority {la.code}")


class TrustFactory(DjangoModelFactory):
    class Meta:
        model = Trust

    code = factory.Sequence(lambda n: f"{6000 + n}")
    name = factory.Sequence(lambda n: f"Trust {n}")


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    urn = factory.Sequence(lambda n: 200000 + n)
    name = factory.Sequence(lambda n: f"School {n}")
    type_name = "Community school"
    type_group = "Local authority maintained schools"
    kind = SchoolKind.MAINSTREAM
    phase = Phase.PRIMARY
    statutory_low_age = 4
    statutory_high_age = 11
    local_authority = factory.SubFactory(LocalAuthorityFactory)
    region = "East of England"
    town = "Ely"
    postcode = "CB6 1AA"
    easting = 550000
    northing = 280000
    gias_status = "Open"
    is_active = True


class SpecialSchoolFactory(SchoolFactory):
    type_name = "Community special school"
    type_group = "Special schools"
    kind = SchoolKind.SPECIAL
    phase = Phase.NOT_APPLICABLE
    statutory_low_age = 2
    statutory_high_age = 19


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.SCHOOL_STAFF
    school = factory.SubFactory(SchoolFactory)
    trust = None


class TrustCoordinatorMembershipFactory(MembershipFactory):
    role = Role.TRUST_COORDINATOR
    school = None
    trust = factory.SubFactory(TrustFactory)


class LaOfficerMembershipFactory(MembershipFactory):
    role = Role.LA_OFFICER
    school = None
    local_authority = factory.SubFactory(LocalAuthorityFactory)


# --- exchange ---------------------------------------------------------------------------------


def need(code: str):
    """The taxonomy rows come from a data migration: look them up, never create them."""
    return Need.objects.get(code=code)


def topic(slug: str):
    return Topic.objects.get(slug=slug)


class ExpertProfileFactory(DjangoModelFactory):
    """A verified expert with an expert membership at a special school."""

    class Meta:
        model = "exchange.ExpertProfile"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SpecialSchoolFactory)
    bio = "Autism lead teacher."
    offers_observation_visit = True
    offers_consultation = True
    offers_video_call = True
    serves_primary = True
    serves_secondary = True
    max_travel_km = 30
    sessions_per_week = 2
    sessions_per_month = 6
    is_verified = True

    @factory.post_generation
    def membership(self, create, extracted, **kwargs):
        if create:
            Membership.objects.get_or_create(user=self.user, school=self.school, role=Role.EXPERT)

    @factory.post_generation
    def specialisms(self, create, extracted, **kwargs):
        """``specialisms=[("ASD", "lead"), ("sensory-regulation", "specialist")]``."""
        if not create:
            return
        for key, level in extracted if extracted is not None else [("ASD", "specialist")]:
            is_need = Need.objects.filter(code=key).exists()
            Specialism.objects.create(
                expert=self,
                need=Need.objects.get(code=key) if is_need else None,
                topic=None if is_need else Topic.objects.get(slug=key),
                level=level,
            )


class SupportRequestFactory(DjangoModelFactory):
    """A draft class-level request about ASD from a mainstream school."""

    class Meta:
        model = "exchange.SupportRequest"
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Support for a Year 4 class ({n})")
    scope = "class"
    primary_need = factory.LazyFunction(lambda: need("ASD"))
    phase = "primary"
    year_groups = factory.LazyFunction(lambda: [4])
    sen_status = "sen_support"
    context = "Two pupils leave the room when it gets loud."
    tried_so_far = "Ear defenders; two assess-plan-do-review cycles."
    desired_outcome = "Calmer transitions."
    format = "observation_visit"
    urgency = "routine"

    @factory.post_generation
    def needs(self, create, extracted, **kwargs):
        if create:
            self.needs.set([self.primary_need, *(need(code) for code in extracted or [])])
