"""The console of the development commands, as a newcomer sees it after
`make run`: one line per e-mail (never its body, links or tokens), no
library chatter at INFO, no colour codes when the output is not a terminal,
and links built on the address actually served."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
URL = re.compile(r"https?://[^\s<>\"']+")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A fresh development installation, seeded through the real commands."""
    home = tmp_path_factory.mktemp("console")
    port = _free_port()
    env = {**os.environ, "AGORA_ENV": "development", "DATABASE_URL": f"sqlite:///{home / 'agora.sqlite3'}",
           "MAIL_DIR": str(home / "mail"), "UPLOAD_DIR": str(home / "uploads"), "PAGE_CACHE": "memory",
           "OPEN_DATA_DIR": str(home / "opendata"),
           "BASE_URL": f"http://127.0.0.1:{port}", "NO_COLOR": "", "FORCE_COLOR": ""}
    env.pop("TEST_DATABASE_URL", None)
    output = []
    for args in (["db", "upgrade"], ["geography", "load"], ["seed-demo"], ["worker", "--once"]):
        done = subprocess.run(FLASK + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        output.append(done.stdout + done.stderr)
    return {"home": home, "env": env, "port": port, "output": "\n".join(output)}


def _emails(home: Path) -> list:
    paths = sorted((home / "mail").glob("*.eml"))
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in paths]


def test_seeding_announces_each_email_in_one_line_without_body_or_links(console):
    emails = _emails(console["home"])
    assert emails, "the demo world sends e-mails (receipts, decisions, a digest)"
    subjects = {str(message["Subject"]) for message in emails}
    announced, rest = [], []
    for line in console["output"].splitlines():
        (announced if "e-mail to " in line else rest).append(line)
    assert len(announced) == len(emails)
    for line in announced:  # recipient, subject, file: nothing else
        found = re.search(r"e-mail to (\S+), '(.*)': (\S+\.eml)$", line)
        assert found and found[2] in subjects and Path(found[3]).exists(), line
        assert not URL.search(line)
    rest = "\n".join(rest)
    for message in emails:
        body = message.get_body(("plain",)).get_content()
        for url in URL.findall(body):
            assert url not in rest, f"a link of an e-mail reached the console: {url}"
        for text in (text.strip() for text in body.splitlines()):
            if len(text) > 30:
                assert text not in rest, f"an e-mail's text reached the console: {text}"


def test_seeding_prints_no_colour_codes_and_no_library_chatter(console):
    output = console["output"]
    assert "\x1b[" not in output
    assert "setup plugin" not in output
    assert not re.search(r"\w+Warning: ", output), "a library warning reached a newcomer's console"
    assert "Context impl" not in output


def test_emailed_links_use_the_address_served(console):
    links = [url for message in _emails(console["home"])
             for url in URL.findall(message.get_body(("plain",)).get_content())]
    assert links
    assert all(url.startswith(f"http://127.0.0.1:{console['port']}/") for url in links if "127.0.0.1" in url)


def test_the_development_server_logs_requests_without_colour_codes(console):
    port = console["port"]
    server = subprocess.Popen(FLASK + ["run", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                              env=console["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the development server did not answer")
        assert 'rel="icon"' in page
        with pytest.raises(urllib.error.HTTPError) as missing:  # werkzeug colours 4xx lines on a terminal
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page", timeout=5)
        assert missing.value.code == 404
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/img/favicon.svg", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("image/svg+xml")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert '"GET / HTTP/1.1" 200' in output and '"GET /no-such-page HTTP/1.1" 404' in output
    assert "\x1b[" not in output
