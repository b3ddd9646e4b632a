"""Portal views of the partners app, one module per area."""
