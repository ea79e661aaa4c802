"""``_()`` in templates: escape-aware and %-formatted exactly like Jinja's own gettext."""

from flask_babel import force_locale


def test_template_translation_escapes_arguments_and_formats_percent_signs(app):
    with app.test_request_context("/"):
        html = app.jinja_env.from_string("{{ _('Select comment %(receipt)s by %(name)s', receipt=7, "
                                         "name='<b>Ann</b>') }} {{ _('100%%') }}")
        out = html.render()
        assert out == "Select comment 7 by &lt;b&gt;Ann&lt;/b&gt; 100%"
        env = app.jinja_env.overlay(autoescape=False)  # plain-text e-mails: nothing escaped
        assert env.from_string("{{ _('by %(name)s', name='<b>') }}").render() == "by <b>"


def test_template_translation_follows_the_forced_language(app):
    with app.test_request_context("/"), force_locale("fr"):
        out = app.jinja_env.from_string("{{ _('Review queue') }}").render()
    assert out == "File de modération"
