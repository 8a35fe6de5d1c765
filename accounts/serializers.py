from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from accounts.enums import Role
from accounts.lockout import LockedOut
from accounts.models import LocalAuthority, Membership, School, SchoolNeedProvision, Trust, User

# --- input ---


class TokenObtainInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            self.context.get("request"), email=attrs["email"], password=attrs["password"]
        )
        if user is None:
            if getattr(self.context.get("request"), "axes_locked_out", False):
                raise LockedOut()
            # One message for unknown email and wrong password: no account enumeration.
            raise exceptions.AuthenticationFailed(
                "The email address or password is not correct.", code="invalid_credentials"
            )
        attrs["user"] = user
        return attrs


class MeUpdateInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=150, allow_blank=True, required=False)


# --- output ---


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    expiry = serializers.DateTimeField(help_text="When the token stops working (UTC).")


class LocalAuthoritySerializer(serializers.ModelSerializer):
    class Meta:
        model = LocalAuthority
        fields = ["code", "name"]


class TrustSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Trust
        fields = ["code", "name"]


class SchoolSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["urn", "name", "kind"]


class MembershipSerializer(serializers.ModelSerializer):
    school = SchoolSummarySerializer(allow_null=True)
    trust = TrustSummarySerializer(allow_null=True)
    local_authority = LocalAuthoritySerializer(
        allow_null=True, help_text="Local-authority officers only; `school` and `trust` are null."
    )

    class Meta:
        model = Membership
        fields = ["id", "role", "school", "trust", "local_authority"]


class MeSerializer(serializers.ModelSerializer):
    is_platform_admin = serializers.BooleanField(source="is_staff")
    roles = serializers.SerializerMethodField(help_text="Distinct roles over all memberships.")
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "is_platform_admin", "roles", "memberships"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_roles(self, user: User) -> list[str]:
        return sorted({membership.role for membership in self.context["memberships"]})

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, user: User) -> list[dict]:
        return MembershipSerializer(self.context["memberships"], many=True).data


class NeedProvisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SchoolNeedProvision
        fields = ["need_code", "label"]


class SchoolSerializer(serializers.ModelSerializer):
    local_authority = LocalAuthoritySerializer()
    trust = TrustSummarySerializer(allow_null=True)
    sen_provisions = NeedProvisionSerializer(many=True)
    my_roles = serializers.SerializerMethodField(help_text="The caller's roles at this school.")

    class Meta:
        model = School
        fields = [
            "urn",
            "name",
            "kind",
            "type_name",
            "type_group",
            "phase",
            "statutory_low_age",
            "statutory_high_age",
            "local_authority",
            "region",
            "town",
            "postcode",
            "easting",
            "northing",
            "trust",
            "sen_provisions",
            "resourced_provision_type",
            "resourced_provision_capacity",
            "sen_unit_capacity",
            "gias_status",
            "is_active",
            "my_roles",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_my_roles(self, school: School) -> list[str]:
        # ``caller_memberships`` is the selector's Prefetch(to_attr=...).
        memberships = school.caller_memberships  # type: ignore[attr-defined]
        return sorted({membership.role for membership in memberships})


class TrustSerializer(serializers.ModelSerializer):
    school_count = serializers.IntegerField(help_text="Schools of the trust the caller can see.")

    class Meta:
        model = Trust
        fields = ["code", "name", "school_count"]
