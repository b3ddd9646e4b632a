"""Rebate and SPIF programs, calculation runs, accruals and statements (later issue)."""
