"""Custom Rasa components. They run inside Rasa's own environment (.venv-rasa, Python 3.10)."""
