"""Finance in the core: exchange rates and conversion, payables and the registry of their sources."""
