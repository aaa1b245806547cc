"""Reading the audit trail back: history of a model, compliance export, verification."""
