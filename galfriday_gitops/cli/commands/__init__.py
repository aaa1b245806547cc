"""One module per ``gfops`` subcommand, each with ``add_parser`` and ``run`` (an exit code)."""
