"""``gfops init``: a new registry from the toolkit's own templates (``templates/``)."""
