"""Vacancies: the «Работа в России» feed importer, the citizen's job profile and the ranking
of vacancies by the law's suitable-work rules (001 ¶3.5.2, ¶3.6.3)."""
