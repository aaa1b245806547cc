"""Helpers shared by the test folders: real git repos (``repo``), registry file builders
(``factories``), the real CLI (``cli``), real DVC (``dvc``), the loopback GitHub checked
against GitHub's OpenAPI description (``loopback``, ``openapi``, fixtures in ``github``) and a
registry history with applied audit tags (``trail``)."""
