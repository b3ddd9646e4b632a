"""Point-of-sale and inventory data: uploads, column mappings, SKU cross-references, loading."""
