from classdyn.cli import main

raise SystemExit(main())
