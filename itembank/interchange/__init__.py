"""Import and export of items: every format parses into neutral ``ImportedItem`` records."""
