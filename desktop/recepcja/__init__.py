"""Recepcja: front-desk scheduling for Polish clinics on CeR, with an emergency mode."""

__version__ = "0.1.0"
