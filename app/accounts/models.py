"""Accounts: users, organisations, memberships and scoped role grants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import gettext
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, case, func, literal
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.core.db import Base, TimestampMixin, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    AUTHOR = "author"
    FOCAL_POINT = "focal_point"


ROLES = tuple(Role)


class Scope(StrEnum):
    GLOBAL = "global"
    CONSULTATION = "consultation"
    COUNTRY = "country"
    REGION = "region"


SCOPES = tuple(Scope)


# Which scopes each role may carry.
ROLE_SCOPES = {
    Role.ADMIN: (Scope.GLOBAL,),
    Role.MODERATOR: (Scope.GLOBAL, Scope.CONSULTATION),
    Role.AUTHOR: (Scope.COUNTRY,),
    Role.FOCAL_POINT: (Scope.REGION, Scope.COUNTRY),
}


class OrganisationKind(StrEnum):
    NGO = "ngo"
    ACADEMIA = "academia"
    THINK_TANK = "think_tank"
    INDUSTRY = "industry"
    PROFESSIONAL_BODY = "professional_body"
    INTERNATIONAL = "international_organisation"
    GOVERNMENT = "government"
    OTHER = "other"


ORGANISATION_KINDS = tuple(OrganisationKind)


FORMER_PARTICIPANT = "Former participant"


def former_participant() -> str:
    """The name of an erased account, in the reader's language (read when shown)."""
    return gettext("Former participant")


class _TranslatedWhenRun(TypeDecorator):
    """A bound message translated when the statement runs, not when it is built: a
    class-level expression is built once, often before anyone's language is known."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201 - SQLAlchemy's signature
        return None if value is None else gettext(value)


class User(TimestampMixin, Base):
    __tablename__ = "user"

    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"
    CLOSED = "closed"  # closed by its owner or on their request; personal data erased

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    # The name as stored; everything reads ``display_name`` (below).
    _display_name: Mapped[str] = mapped_column("display_name", String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, server_default=ACTIVE)
    # Bumped by logout, password change and suspension: every session that
    # carries an older generation is refused.
    session_generation: Mapped[int] = mapped_column(default=1, server_default="1")
    last_login_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Set when the account was closed and its personal data erased (app/privacy).
    erased_at: Mapped[datetime | None]
    # The terms of participation this account accepted (app/accounts/policy_pages.py).
    terms_version: Mapped[int | None]
    terms_accepted_at: Mapped[datetime | None]

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = (Index("uq_user_email_lower", func.lower(email), unique=True),)

    @hybrid_property
    def display_name(self) -> str:
        """The name shown to others. An erased account's (``erased_at``) is "Former participant"
        in the language of whoever reads it: pages, the API, exports and e-mails alike."""
        if self.erased_at is not None:
            return former_participant()
        return self._display_name

    @display_name.inplace.setter
    def _set_display_name(self, value: str) -> None:
        self._display_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_sql(cls):
        # The same in SQL (sorting, searching, exports that select columns), in the language of the
        # request that runs the statement.
        return case((cls.erased_at.is_not(None), literal(FORMER_PARTICIPANT, _TranslatedWhenRun())),
                    else_=cls._display_name)

    # Flask-Login protocol
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == self.ACTIVE

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def role_keys(self) -> list[str]:
        """The roles held, as sorted ``role:scope type:scope key`` strings: part of the key
        of what is kept per roles (badges, the site's header, the review queue)."""
        return sorted(f"{g.role}:{g.scope_type}:{g.scope_key}" for g in self.grants)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"), index=True)
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation", cascade="all, delete-orphan")

    __table_args__ = (Index("uq_organisation_name_lower", func.lower(name), unique=True),)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class Membership(TimestampMixin, Base):
    __tablename__ = "membership"

    MEMBER = "member"
    REPRESENTATIVE = "representative"
    PENDING = "pending"
    ACTIVE = "active"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=MEMBER)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    decided_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    @property
    def is_active(self) -> bool:
        return self.status == self.ACTIVE


class RoleGrant(Base):
    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str] = mapped_column(String(16))
    # Country code, region code or consultation id as text; "" for global.
    scope_key: Mapped[str] = mapped_column(String(32), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("user_id", "role", "scope_type", "scope_key"),)

    def __repr__(self) -> str:
        return f"<RoleGrant {self.role} {self.scope_type}:{self.scope_key} user={self.user_id}>"


# Names, organisations and role badges are shown with comments: the comments
# domain declares in which consultations (app/comments/models.py).


class SignInThrottle(Base):
    """Failed sign-ins counted for one (account, client address) pair or for
    one client address alone (app/accounts/throttle.py).

    Keys are keyed digests, so the table holds neither the addresses typed
    into the form nor the clients' IP addresses.
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The account's digest on pair rows (a successful reset clears them all); None on address rows.
    account_key: Mapped[str | None] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    retry_after: Mapped[datetime | None]
