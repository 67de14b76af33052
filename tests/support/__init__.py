"""The one home of what several test folders share (imported as ``support.<module>``; ``tests/``
is on ``sys.path`` through ``tests/conftest.py``).

- ``polling``: ``wait_until`` - wait for another thread or process, fail naming what never came;
- ``network``: the loopback-only rule every test runs under (the ``loopback_only`` fixture);
- ``hostile_xml``: XXE, billion laughs, an external DTD - written once;
- ``sim_control``: the training simulator's ``/_control`` API over real loopback HTTP;
- ``practice``: the controllable clock and the small practice the store and service tests use.

Fixtures stay in the ``conftest.py`` files; their bodies live here.
"""
