"""Deadlines on each region's production calendar, the deadline rules, and reminders delivered
exactly once (see README: Deadlines and reminders)."""
