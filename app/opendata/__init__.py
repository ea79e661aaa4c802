"""Open data: a bulk download of everything public, under a stated licence."""
