"""DRF authentication by API key (``Authorization: Bearer prm_<prefix>_<secret>``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api.keys import InvalidKey, record_use, verified_key

REALM = 'Bearer realm="api"'


class ApiKeyAuthentication(BaseAuthentication):
    """``request.user`` is the key's service identity, ``request.auth`` the ``ApiKey``. No
    session, so no CSRF: a key is not sent by browsers on their own."""

    def authenticate(self, request):
        try:
            key = verified_key(request._request)
        except InvalidKey:
            raise AuthenticationFailed(
                _("The API key is not valid here: wrong, revoked, rotated or of another portal.")
            ) from None
        if key is None:
            return None
        record_use(key)
        return key.service_user, key

    def authenticate_header(self, request) -> str:
        return REALM


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of this portal: `Authorization: Bearer prm_<prefix>_<secret>`.",
        }
