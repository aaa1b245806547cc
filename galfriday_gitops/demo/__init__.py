"""Demo material: a small deterministic ML pipeline and the DVC template a demo registry uses."""
