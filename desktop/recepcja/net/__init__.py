"""Networking pieces shared by the client side and the simulator (standard library only).

A neutral layer: it imports nothing else of the package, so the simulator (which must never import
the client side) and ``sync/`` may both use it.
"""
