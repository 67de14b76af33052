# The app's start makes hundreds of thousands of objects (modules, classes, the window's
# widgets) and next to no garbage: the cyclic collector would walk them again and again while
# they are made (~24 M instructions of the window's cold start, issue 18). It is off until
# the command runs (cli.main) or, for the window, until the start's objects are frozen out of
# its sight after the first paint (gui.first_paint.freeze_start_objects).
import gc

gc.disable()

from recepcja.cli import main  # noqa: E402  (after the collector is off)

raise SystemExit(main())
