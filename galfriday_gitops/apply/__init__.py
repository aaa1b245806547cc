"""After merge: the audit trail of main written as GTO-compatible annotated tags."""
