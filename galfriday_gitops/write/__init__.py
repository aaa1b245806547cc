"""The write side: register a version, edit a stage, open the pull request."""
