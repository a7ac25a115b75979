"""The regions an installation serves: each one's name, time zone and contacts (config.yml
`regions`); adding a region is a change of configuration only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Region:
    name: str
    timezone: str
    phone: str | None = None  # the centre's contact phone, shown by "контакты"
    address: str | None = None
    # Прожиточный минимум трудоспособного населения, ₽ a month (001 ¶3.6.3); None: unset.
    subsistence_minimum: int | None = None


@dataclass(frozen=True)
class Regions:
    zones: Mapping[str, ZoneInfo]
    default: str

    def code(self, region_code: str | None) -> str:
        if region_code is not None and region_code in self.zones:
            return region_code
        return self.default

    def zone(self, region_code: str | None) -> ZoneInfo:
        return self.zones[self.code(region_code)]

    @classmethod
    def of(cls, timezones: Mapping[str, str], default: str) -> Regions:
        return cls({code: ZoneInfo(name) for code, name in timezones.items()}, default)
