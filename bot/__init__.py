"""Channel adapters: Telegram (aiogram 3) and the console chat."""
