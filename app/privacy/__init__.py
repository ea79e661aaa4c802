"""A person's own data: a copy of everything held about them, and erasure."""
