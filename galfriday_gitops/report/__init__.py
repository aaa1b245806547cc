"""Reports: one verdict, rendered for a terminal, a PR comment, machines and code scanning."""
