"""sync layer (see docs/ARCHITECTURE.md)."""
