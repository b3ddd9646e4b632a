"""factory_boy factories. Tenant-owned factories must be used inside ``tenant_context``."""

from __future__ import annotations

from decimal import Decimal

import factory

from partners.models import Partner
from prm.accounts.models import Membership, User
from prm.catalog.models import Product
from prm.roles import Role

PASSWORD = "test-pass-2026!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        from allauth.account.models import EmailAddress

        if create:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Partner {n} Ltd")
    type = Partner.Type.RESELLER
    country = "US"
    region = "West"
    tier = "Silver"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.CHANNEL_MANAGER
    partner = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = "pumps"
    unit_of_measure = "EA"
    units_per_case = 10
    list_price = Decimal("100.00")
    currency = "USD"
    gtin = ""
