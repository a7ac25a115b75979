"""What the bot does with each intent the NLU recognises (nlu/domain.yml lists them).

A section intent opens a menu section, an answer intent answers in place (no personal data
needed), a conversational intent gets a short reply. Everything else has no action of its own.
"""

from __future__ import annotations

# intent -> the menu section that serves it
SECTION_OF_INTENT = {
    "request_operator": "operator",
    "apply_job_search": "applications",
    "apply_unemployment": "applications",
    "apply_disability_support": "applications",
    "apply_psych_support": "applications",
    "book_appointment": "applications",
    "search_vacancies": "vacancies",
    "rank_vacancies": "vacancies",
    "confirm_interview": "interviews",
    "reschedule_interview": "interviews",
    "decline_interview": "interviews",
    "report_interview_result": "interviews",
    "file_complaint": "complaints",
    "check_status": "status",
    "delete_my_data": "withdraw",
}
# intent -> the template that answers it; general information, open without consent
ANSWER_OF_INTENT = {
    "ask_documents": "info.documents",
    "ask_benefits": "info.benefits",
    "ask_contacts": "info.contacts",
}
# intent -> a short reply followed by the menu
SMALL_TALK = {
    "greet": "nlu.greet",
    "goodbye": "nlu.goodbye",
    "thank": "nlu.thank",
    "out_of_scope": "nlu.out_of_scope",
}
# Intents worth offering as a button ("did you mean ...?").
OFFERABLE = frozenset(SECTION_OF_INTENT) | frozenset(ANSWER_OF_INTENT) | {"help"}
# Words that accept an offer when typed instead of pressing its button.
YES_WORDS = frozenset(
    {"да", "ага", "угу", "конечно", "верно", "точно", "ок", "ok", "давай", "давайте"}
)
NO_WORDS = frozenset({"нет", "не", "неа", "не то", "нет не то"})
