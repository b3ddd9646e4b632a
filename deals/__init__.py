"""Deal registration, end customers, direct opportunities, conflicts, leads and routing rules."""
