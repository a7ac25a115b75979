"""The conversation engine and its flows. Channel-agnostic: no aiogram, no FastAPI here."""
