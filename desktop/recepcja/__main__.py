from recepcja.cli import main

raise SystemExit(main())
