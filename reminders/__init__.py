"""Working-day calendar, deadline rules and reminder delivery (coming next)."""
