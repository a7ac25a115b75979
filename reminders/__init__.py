"""Deadlines on each region's production calendar, the rule catalogue, and reminders delivered
exactly once (see README: Deadlines and reminders)."""
