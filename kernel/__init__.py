"""The bottom layer: settings, regions, the production calendar and working-day arithmetic,
case numbers, the clock and the command-line start-up. It imports nothing of ours."""
