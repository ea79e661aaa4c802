"""Subscriptions and digests for focal points, and the public Atom feeds of summaries."""
