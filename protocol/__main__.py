from protocol.cli import main

raise SystemExit(main())
