"""Moderation: the review queue, decisions with reasons, flags, sanctions,
automatic holds and public moderation figures."""
