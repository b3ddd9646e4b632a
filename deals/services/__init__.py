"""Writes of the deals app, one service per transition (split by topic)."""
