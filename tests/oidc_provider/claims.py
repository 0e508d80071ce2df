"""The claims this provider releases: e-mail, whether it is verified, and the name."""

from oauth2_provider.oauth2_validators import OAuth2Validator

#: Members of this group have an e-mail address the provider has not verified.
UNVERIFIED_GROUP = "unverified-email"


class ClaimsValidator(OAuth2Validator):
    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name=UNVERIFIED_GROUP).exists(),
            "name": user.get_full_name(),
        }
