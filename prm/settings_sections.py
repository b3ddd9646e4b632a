"""Settings sections: each app's existing settings page, listed on the tenant settings page.

The tenant settings page (``prm.views.tenant_settings``) shows the tenant's own settings and,
below them, every section the apps register from their AppConfig.ready() (deal policy, claim
window, fund approval levels, ...) with its current values and a link to its page. The core
imports no app: an app hands over how to read its current settings and which fields to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import capfirst

from prm.roles import Perm, membership_has


@dataclass(frozen=True)
class SettingsSection:
    key: str
    label: str | Promise
    url_name: str
    perm: Perm
    # The tenant's current settings row (unsaved defaults when none is stored; reading must not
    # write) and the fields of it the overview shows.
    current: Callable[[], models.Model] | None = field(default=None, compare=False)
    fields: tuple[str, ...] = ()
    description: str | Promise = ""
    order: int = 100


class SectionValue(TypedDict):
    label: str
    value: Any


class SectionView(TypedDict):
    key: str
    label: str | Promise
    description: str | Promise
    url: str
    values: list[SectionValue]


_SECTIONS: dict[str, SettingsSection] = {}


def register_settings_section(section: SettingsSection) -> None:
    known = _SECTIONS.get(section.key)
    if known is not None and known != section:
        raise ValueError(f"Settings section {section.key!r} registered twice with different contents.")
    _SECTIONS[section.key] = section


def _values(section: SettingsSection) -> list[SectionValue]:
    if section.current is None:
        return []
    current = section.current()
    values: list[SectionValue] = []
    for name in section.fields:
        model_field = current._meta.get_field(name)
        display = getattr(current, f"get_{name}_display", None)
        values.append(
            SectionValue(
                label=capfirst(str(getattr(model_field, "verbose_name", name))),
                value=display() if callable(display) else getattr(current, name),
            )
        )
    return values


def settings_sections_for(membership) -> list[SectionView]:
    """The sections the member may open, in order, each with its current values."""
    return [
        SectionView(
            key=section.key,
            label=section.label,
            description=section.description,
            url=reverse(section.url_name),
            values=_values(section),
        )
        for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))
        if membership_has(membership, section.perm)
    ]
