import factory
from factory.django import DjangoModelFactory

from accounts.enums import Phase, Role, SchoolKind
from accounts.models import LocalAuthority, Membership, School, Trust, User

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

    code = factory.Sequence(lambda n: f"{800 + n % 199}")
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
