"""The closed lists of a complaint: grounds, respondents and the bodies that review them, and
the states of its review. Each entry cites the paragraph it comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ground:
    id: str
    paragraph: str
    short_review: bool = False  # reviewed in 5 working days instead of 15 (001 ¶5.10)


# 001 ¶5.2 (the list is open: "в том числе"); 004 §5.2 and 002 ¶163 repeat it.
GROUNDS = (
    Ground("registration_late", "001 ¶5.2(1)"),
    Ground("service_late", "001 ¶5.2(2)"),
    Ground("extra_documents", "001 ¶5.2(3)"),
    Ground("documents_refused", "001 ¶5.2(4)", short_review=True),
    Ground("service_refused", "001 ¶5.2(5)"),
    Ground("fee", "001 ¶5.2(6)"),
    Ground("typos", "001 ¶5.2(7)", short_review=True),
    Ground("result_documents", "001 ¶5.2(8)"),
    Ground("suspended", "001 ¶5.2(9)"),
    Ground("new_demands", "001 ¶5.2(10)"),
    Ground("other", '001 ¶5.2 ("в том числе")'),
)
GROUND_BY_ID = {ground.id: ground for ground in GROUNDS}


@dataclass(frozen=True)
class Respondent:
    """Whose decision or action is appealed, the body that reviews the complaint and where
    the citizen can turn next if the answer does not come or does not satisfy them."""

    id: str
    body: str
    escalation: str
    paragraph: str


# 001 ¶5.1; 004 §5.3, §5.5. A court is open in every case (002 ¶160).
RESPONDENTS = (
    Respondent("centre", body="centre_director", escalation="ministry", paragraph="001 ¶5.1"),
    Respondent("director", body="ministry", escalation="court", paragraph="001 ¶5.1"),
    Respondent("ministry", body="minister", escalation="court", paragraph="001 ¶5.1"),
    Respondent("mfc_employee", body="mfc_head", escalation="mfc_founder", paragraph="001 ¶5.1"),
    Respondent("mfc", body="mfc_founder", escalation="court", paragraph="001 ¶5.1"),
)
RESPONDENT_BY_ID = {respondent.id: respondent for respondent in RESPONDENTS}
BODIES = frozenset(respondent.body for respondent in RESPONDENTS)

ANSWER_CHANNELS = ("telegram", "email", "post")

REGISTERED = "registered"
IN_REVIEW = "in_review"
UPHELD = "upheld"
REJECTED = "rejected"
LEFT_WITHOUT_ANSWER = "left_without_answer"
STATES = (REGISTERED, IN_REVIEW, UPHELD, REJECTED, LEFT_WITHOUT_ANSWER)
OPEN_STATES = (REGISTERED, IN_REVIEW)
DECISIONS = (UPHELD, REJECTED, LEFT_WITHOUT_ANSWER)
# 001 ¶5.11 (upheld or rejected); 004 §5.15 (may be left without an answer).
TRANSITIONS = {
    REGISTERED: frozenset({IN_REVIEW}),
    IN_REVIEW: frozenset(DECISIONS),
}


def answer_rule(ground: str) -> str:
    """The deadline rule of the answer (rules.yml): 5 working days for a refused acceptance of
    documents or typo correction, else 15 (001 ¶5.10)."""
    return "complaint_answer_short" if GROUND_BY_ID[ground].short_review else "complaint_answer"
