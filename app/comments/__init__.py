"""Threaded discussion on draft measures: comments, replies, revisions,
supports, follows and in-app notifications."""
