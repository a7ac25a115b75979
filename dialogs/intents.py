"""The conversational intents the engine answers itself (nlu/domain.yml lists them all).

A feature's intents are declared with its sections and answers (`dialogs.feature.Chat`).
"""

from __future__ import annotations

# intent -> a short reply followed by the menu
SMALL_TALK = {
    "greet": "nlu.greet",
    "goodbye": "nlu.goodbye",
    "thank": "nlu.thank",
    "out_of_scope": "nlu.out_of_scope",
}
# Words that accept a proposal ("did you mean ...?") when typed instead of pressing its button.
YES_WORDS = frozenset(
    {"да", "ага", "угу", "конечно", "верно", "точно", "ок", "ok", "давай", "давайте"}
)
NO_WORDS = frozenset({"нет", "не", "неа", "не то", "нет не то"})
