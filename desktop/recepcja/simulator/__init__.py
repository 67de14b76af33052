"""simulator layer (see docs/ARCHITECTURE.md)."""
