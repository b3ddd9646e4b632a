"""MDF and co-op funds: allocations, the fund ledger, requests and fund claims (later issue)."""
