"""Customer-name and domain normalisation as DOMAIN.md defines it."""

from __future__ import annotations

import pytest

from prm.lib.names import is_parent_or_subsidiary, normalise_domain, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACME, Inc.", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acmé  Corp", "acme"),
        ("acme corporation", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme LLC", "acme"),
        ("Acme Limited", "acme"),
        ("Acme PLC", "acme"),
        ("Müller GmbH", "muller"),
        ("Siemens AG", "siemens"),
        ("Société Générale S.A.", "societe generale"),
        ("Renault SAS", "renault"),
        ("Fiat S.p.A.", "fiat"),
        ("Pirelli S.R.L.", "pirelli"),
        ("Philips N.V.", "philips"),
        ("Heineken B.V.", "heineken"),
        ("Volvo AB", "volvo"),
        ("Equinor ASA", "equinor asa"),
        ("Nordic AS", "nordic"),
        ("Nokia Oy", "nokia"),
        ("Toyota K.K.", "toyota"),
        ("Woolworths Pty Ltd", "woolworths"),
        ("The Acme Company", "the acme"),
        ("  Ålborg   Værft  ", "alborg vaerft"),
        ("Smith & Sons", "smith sons"),
        ("AB", "ab"),
    ],
)
def test_names_are_folded_stripped_of_punctuation_and_legal_suffixes(raw, expected):
    assert normalise_name(raw) == expected


def test_legal_suffix_inside_a_name_is_kept():
    assert normalise_name("AG Barr Holdings") == "ag barr holdings"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("buyer@acme.com", "acme.com"),
        ("acme.com:8080", "acme.com"),
        ("", ""),
    ],
)
def test_domains_are_reduced_to_the_host(raw, expected):
    assert normalise_domain(raw) == expected


def test_parent_and_subsidiary_names_are_recognised():
    assert is_parent_or_subsidiary("acme", "acme holdings europe")
    assert not is_parent_or_subsidiary("acme", "acmex")
    assert not is_parent_or_subsidiary("acme", "acme")
