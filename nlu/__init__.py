"""Intent recognition: the Rasa project and the bot's client for it (coming next)."""
