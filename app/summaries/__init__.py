"""Summaries of consultations, the comment-resolution table and forwarding to focal points."""
