"""Paths, settings, secrets and logging: the app's footing on the workstation (no Qt, no zeep)."""
