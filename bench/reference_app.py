# ruff: noqa: E501  (the template mirrors the real partial line for line)
"""The ceilings the bench compares the platform with: bare Flask, no database.

    gunicorn -w 2 'bench.reference_app:create_app()'

- ``GET /hello``: a hello-world route.
- ``GET /comments/<n>``: a page listing ``n`` comments (up to 2,000) held in
  memory, rendered by Jinja with markup comparable to the real comment
  partial (``templates/comments/_macros.html``: author line, organisation,
  permalink, date, badges, sanitised body, support count, reply link) inside
  a small layout. No database, no sessions, no translations, no permission
  checks: what is left is what Flask and Jinja cost for that much HTML.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import Flask, abort, render_template
from jinja2 import DictLoader

MAX_COMMENTS = 2_000

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Agora 1540</title>
<link rel="stylesheet" href="{{ url_for('static', filename='vendor/bootstrap.min.css') }}">
<link rel="stylesheet" href="{{ url_for('static', filename='css/agora.css') }}"></head>
<body>
<header class="border-bottom mb-3"><nav class="navbar navbar-expand-md container" aria-label="Main">
  <a class="navbar-brand" href="{{ url_for('hello') }}">Agora 1540</a>
  <ul class="navbar-nav">{% for label in ('Consultations', 'Regional organisations', 'About') %}
    <li class="nav-item"><a class="nav-link" href="{{ url_for('hello') }}">{{ label }}</a></li>{% endfor %}</ul>
</nav></header>
<main id="main" class="container">
<h1>{{ title }}</h1>
<section class="discussion mt-5" aria-labelledby="discussion-title">
<h2 id="discussion-title">Comments on this provision <span class="text-muted fs-6">({{ comments|length }} comments)</span></h2>
<ol class="list-unstyled comment-thread">
{% for c in comments %}
<li>
<article class="comment border rounded p-3 mb-2" id="comment-{{ c.id }}" aria-labelledby="comment-{{ c.id }}-by">
  <header class="small mb-2">
    <p class="mb-1" id="comment-{{ c.id }}-by"><span class="fw-semibold">{{ c.author }}</span>
    {% if c.organisation %} · for {{ c.organisation }} <span class="badge badge-kind" title="{{ c.org_kind }}">{{ c.org_kind }}</span>
    <span class="text-muted">({{ c.country }})</span>{% else %}<span class="text-muted">· personal capacity</span>{% endif %}</p>
    <p class="mb-1 text-muted">
      <a href="{{ url_for('comment', comment_id=c.id) }}"><time datetime="{{ c.created_at.isoformat() }}">{{ c.created_at.strftime('%d %b %Y, %H:%M') }}</time><span class="visually-hidden"> — link to this comment</span></a>
      · <span class="badge badge-kind">{{ c.kind }}</span>
      {% if c.stance %}· {{ c.stance }}{% endif %}
      · <span lang="{{ c.language }}">{{ c.language_label }}</span>
    </p>
  </header>
  {% if c.restricted %}<p class="small mb-1"><span class="badge text-bg-warning">Restricted</span> Visible to moderators, the drafting government and focal points</p>{% endif %}
  <div class="prose" lang="{{ c.language }}">{{ c.body_html|safe }}</div>
  <footer class="d-flex flex-wrap gap-2 align-items-center small mt-2">
    <span>{{ c.supports }} supporter{{ '' if c.supports == 1 else 's' }}</span>
    <a href="{{ url_for('comment', comment_id=c.id) }}">Reply<span class="visually-hidden"> to {{ c.author }}</span></a>
  </footer>
</article>
</li>
{% endfor %}
</ol>
</section>
</main>
<footer class="border-top mt-5 py-3"><div class="container small text-muted">Agora 1540</div></footer>
</body>
</html>
"""

BODY = ("<p>We welcome the draft's approach to the licensing of brokers, but the wording leaves gaps. "
        "Neighbouring States apply a <strong>licence requirement</strong> at this point, and a weak link here "
        "would be exploited. The term <em>competent authority</em> is used for three different bodies in this "
        "article.</p>\n<p>Thank you for considering these points.</p>")


def make_comments(count: int = MAX_COMMENTS, seed: int = 1540) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    comments = []
    for i in range(count):
        with_org = rng.random() < 0.5
        comments.append({
            "id": 100_000 + i, "author": f"Participant {rng.randint(1, 5000)}",
            "organisation": f"Export Control Institute {i % 40}" if with_org else None,
            "org_kind": "NGO", "country": "Austria", "created_at": start + timedelta(minutes=17 * i),
            "kind": rng.choice(("Comment", "Question", "Amendment")),
            "stance": rng.choice(("Supports the provision", "Opposes the provision", None)),
            "language": "en", "language_label": "English", "restricted": rng.random() < 0.05,
            "body_html": BODY, "supports": rng.randint(0, 12),
        })
    return comments


def create_app() -> Flask:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    app = Flask(__name__, static_folder=str(root / "static"))
    app.jinja_env.loader = DictLoader({"page.html": PAGE})  # compiled once, cached like real templates
    comments = make_comments()

    @app.get("/hello")
    def hello():
        return "Hello, World!"

    @app.get("/comments/<int:count>")
    def comments_page(count: int):
        if not 0 <= count <= MAX_COMMENTS:
            abort(404)
        return render_template("page.html", title="Article 5 — Licensing of brokers", comments=comments[:count])

    @app.get("/c/<int:comment_id>")
    def comment(comment_id: int):
        return str(comment_id)

    return app
