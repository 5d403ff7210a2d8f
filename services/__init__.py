"""Domain operations called by views, bulk actions and jobs alike."""
