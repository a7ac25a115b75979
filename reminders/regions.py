"""Time zones of the regions an installation serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo


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
