"""Pagination of SELECT statements.

``paginate(stmt, page, per_page)`` runs one COUNT and one windowed SELECT and
returns a ``Page`` (``paged(stmt)`` builds both once, for a statement asked for
often); ``templates/_macros/pagination.html`` renders its links,
keeping the current query string (filters) and changing only ``page``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first_index(self) -> int:
        """1-based position of the first item on this page (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0

    def iter_pages(self, edge: int = 1, around: int = 2) -> Iterator[int | None]:
        """Page numbers to link, ``None`` where a gap ("…") goes."""
        last_shown = 0
        for number in range(1, self.pages + 1):
            if number <= edge or number > self.pages - edge or abs(number - self.page) <= around:
                if last_shown and number - last_shown > 1:
                    yield None
                yield number
                last_shown = number

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page_number(value: Any) -> int:
    """A page number from untrusted input: anything that is not a positive integer is 1."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return number if 0 < number < 10**9 else 1


@dataclass(frozen=True)
class Paged:
    """A statement with what ``paginate`` runs of it, built once (``paged``)."""

    statement: Select
    counting: Select
    windowed: Select  # the window's limit and offset bound when it runs


def paged(stmt: Select) -> Paged:
    """``stmt`` with its count and its window. A statement asked for on every request
    is worth building once (``functools.lru_cache``): building costs more than running."""
    return Paged(stmt, select(func.count()).select_from(stmt.order_by(None).subquery()),
                 stmt.limit(bindparam("page_limit")).offset(bindparam("page_offset")))


def paginate(
    stmt: Select | Paged,
    page: Any = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    session: Session | None = None,
    scalars: bool = True,
    count: Callable[[Select], int] | None = None,
) -> Page:
    """Run ``stmt`` (or a ``paged`` one) for one page. A page past the end shows the last page.

    ``stmt`` must be ordered (a stable order makes stable pages). With
    ``scalars=False`` the items are rows (for statements selecting several
    entities or columns). ``count(counting_statement)`` may answer the
    number of items instead of running the statement (a kept figure).
    """
    if session is None:
        from app.core.db import db

        session = db.session
    built = stmt if isinstance(stmt, Paged) else paged(stmt)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    total = (count(built.counting) if count else session.scalar(built.counting)) or 0
    pages = max(1, -(-total // per_page))
    number = min(page_number(page), pages)
    result = session.execute(built.windowed, {"page_limit": per_page, "page_offset": (number - 1) * per_page})
    items = list(result.scalars() if scalars else result.all())
    return Page(items=items, page=number, per_page=per_page, total=total)
