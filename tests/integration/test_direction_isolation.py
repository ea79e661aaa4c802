"""Names in the discussion keep their own direction: on an Arabic page a Latin
name (and on an English page an Arabic one) is isolated, so punctuation does
not jump across it, and a name is still escaped."""

from __future__ import annotations

from tests.factories import make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation


def test_author_and_organisation_names_are_isolated_and_escaped(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session, display_name="Nadia <Haddad>")
    organisation = make_organisation(session, name="مركز قانون التجارة (CSTL)", members=(author,))
    add_comment(session, consultation, author, section=section, organisation_id=organisation.id)
    session.flush()

    for language in ("ar", "en"):
        page = client.get(f"/consultations/{consultation.id}/sections/{section.anchor}",
                          headers={"Accept-Language": language}).text
        assert f'<html lang="{language}"' in page
        assert '<bdi class="fw-semibold">Nadia &lt;Haddad&gt;</bdi>' in page
        assert "<bdi>مركز قانون التجارة (CSTL)</bdi>" in page
