"""Regional coverage and consistency views: which 1540 obligations the drafts address, and the gaps."""
