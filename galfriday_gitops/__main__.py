"""``python -m galfriday_gitops`` is the ``gfops`` command."""

from galfriday_gitops.cli.main import main

raise SystemExit(main())
