"""Tests of the forge (GitHub) client, its events and commit statuses."""
