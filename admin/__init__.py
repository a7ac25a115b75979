"""Staff API and web desk for operators and administrators (FastAPI; coming next)."""
