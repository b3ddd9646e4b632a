"""Pages of the deals app, split by audience: partner registration, vendor review, leads."""
