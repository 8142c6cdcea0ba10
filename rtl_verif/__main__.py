from rtl_verif.cli import main

raise SystemExit(main())
