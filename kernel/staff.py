"""Staff roles and what each may see: the rules the staff API's routes declare.

A staff member has one role and serves some regions ("*": every region). Roles are ordered:
a supervisor may do what an operator may, an administrator what a supervisor may. Operators
answer citizens; they see citizens of their regions with personal data masked and never
health data. Supervisors decide complaints, set job profiles and send offers in their regions.
Administrators also manage staff accounts and tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

ALL_REGIONS = "*"


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


@dataclass(frozen=True)
class Actor:
    """The staff member behind a request."""

    name: str
    role: Role
    regions: frozenset[str]

    @classmethod
    def of(cls, name: str, role: str, regions: Iterable[str]) -> Actor:
        return cls(name, Role(role), frozenset(regions))

    @property
    def key(self) -> str:
        """How the audit log and the records name them."""
        return f"staff:{self.name}"

    def may(self, role: Role) -> bool:
        """True when their role is `role` or above it."""
        return self.role.rank >= role.rank

    @property
    def every_region(self) -> bool:
        return ALL_REGIONS in self.regions

    def covers(self, region_code: str | None) -> bool:
        """A citizen without a region yet is visible only to staff of every region."""
        return self.every_region or (region_code is not None and region_code in self.regions)

    @property
    def region_scope(self) -> frozenset[str] | None:
        """The regions a listing is limited to; None: no limit."""
        return None if self.every_region else self.regions

    @property
    def sees_personal_data(self) -> bool:
        """Names, phones, addresses in full (operators see them masked)."""
        return self.may(Role.SUPERVISOR)

    @property
    def sees_health_data(self) -> bool:
        """Disability group and ИПРА restrictions: needed to set the profile and to offer
        suitable work (001 ¶3.5.2), so supervisors and above."""
        return self.may(Role.SUPERVISOR)
