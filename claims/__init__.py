"""Ship-and-debit: special pricing agreements, claims, claim lines and verdicts (later issue)."""
