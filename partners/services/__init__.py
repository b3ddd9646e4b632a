"""Writes of the partners app, one module per topic; one service per transition."""
