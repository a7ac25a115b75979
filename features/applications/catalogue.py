"""The four services a citizen applies for with the assistant, the correction of a typo in what
the centre issued, and the terms that start when the application is registered."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

JOB_SEARCH = "job_search"  # 001: assistance in finding suitable work
UNEMPLOYMENT = "unemployment"  # 001 for a claimant to unemployed status
DISABILITY = "disability_support"  # 002: organised support in the job placement
PSYCH = "psych_support"  # 004: psychological support of the unemployed
SERVICES = (JOB_SEARCH, UNEMPLOYMENT, DISABILITY, PSYCH)
# 001 ¶3.15 (variant 3.1.1.6): correcting a typo or an error in what the centre issued.
CORRECTION = "typo_correction"
# Every kind of application the centre keeps.
ALL_SERVICES = (*SERVICES, CORRECTION)

# The centre looks at a pre-application within the acceptance term (001 ¶3.4.10).
ACCEPTANCE_RULE = "application_acceptance"
# What the centre did with an application reaches the citizen at once (001 ¶3.4.6, ¶3.14).
UPDATE_RULE = "application_update"
# Filed away from the place of residence: the citizen comes in person within 5 WD (001 ¶2.7).
AWAY_RULE = "personal_visit"

# A registration older than this has no term left to track.
TRACKED_FOR = timedelta(days=366)

# The terms that run from the registration of the application, by service.
REGISTRATION_RULES: Mapping[str, tuple[str, ...]] = {
    # 001 ¶3.6.8, ¶3.7.2: the vacancy list by the next working day; ¶2.4: 25 WD in all.
    JOB_SEARCH: ("application_vacancy_list", "service_total"),
    UNEMPLOYMENT: ("application_vacancy_list", "service_total"),
    # 002 ¶76: the visit agreed by the next working day after registration.
    DISABILITY: ("application_disability_visit",),
    # 004 §3.2.4: checked and the visit agreed by the next working day.
    PSYCH: ("application_psych_visit",),
    # 001 ¶3.15.2-¶3.15.4: checked within 2 WD; fixed, or no error told in writing, within 5.
    CORRECTION: ("typo_check", "typo_correction"),
}
