"""HTTP areas: one module (or package) per area; forms, templates, no domain rules."""
