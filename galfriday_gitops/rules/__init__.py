"""Rules: events and states in, findings out; the catalogue names them all."""
