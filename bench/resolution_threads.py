"""Many threads reading the resolution table of a running server at once.

Each client thread asks, in turn, for the table's page, its CSV and its XLSX
(anonymously), and one thread in four signs in as a moderator and also
downloads the comment CSV exports. Every answer is counted by status; a
connection the server drops without an answer (a worker that died) is counted
apart. Standard library only, so it runs with any Python:

    python -m bench.resolution_threads --base http://127.0.0.1:5871 --consultation 4 \
        --seconds 180 --threads 12 --moderator moderator@demo.agora1540.example:valdoria-demo-2026

docs/RELIABILITY.md says how the server was started and what was seen.
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def _opener(base: str, credentials: str | None) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    if credentials:
        email, _, password = credentials.partition(":")
        page = opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
        opener.open(base + "/login", urllib.parse.urlencode(data).encode())
    return opener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--consultation", type=int, action="append", required=True,
                        help="a consultation with a published summary and dispositions (repeatable)")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--moderator", help="email:password of a moderator, for the comment CSV exports")
    args = parser.parse_args()

    public = [f"/consultations/{c}/resolution{ext}" for c in args.consultation for ext in ("", ".csv", ".xlsx")]
    managed = [f"/manage/consultations/{c}/comments.csv" for c in args.consultation]
    managed.append("/manage/moderation/comments.csv")
    answers: collections.Counter = collections.Counter()
    dropped: collections.Counter = collections.Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def client(n: int) -> None:
        signed_in = bool(args.moderator) and n % 4 == 0
        opener = _opener(args.base, args.moderator if signed_in else None)
        urls = managed + public if signed_in else public
        i = n
        while time.monotonic() < deadline:
            url = urls[i % len(urls)]
            i += 1
            try:
                with opener.open(args.base + url, timeout=60) as response:
                    response.read()
                    key = (url.rsplit("/", 1)[-1], response.status)
            except urllib.error.HTTPError as error:
                key = (url.rsplit("/", 1)[-1], error.code)
            except OSError as error:  # reset or closed without an answer: the worker died
                with lock:
                    dropped[type(error).__name__] += 1
                time.sleep(0.2)
                continue
            with lock:
                answers[key] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = sum(answers.values())
    print(f"{total} answers in {elapsed:.0f} s ({total / elapsed:.1f}/s), {args.threads} client threads")
    for (name, status), count in sorted(answers.items()):
        print(f"  {name:<20} {status}  {count}")
    print("dropped connections:", dict(dropped) or "none")


if __name__ == "__main__":
    main()
