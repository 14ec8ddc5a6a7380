"""Customer Data Platform core: settings, warehouse access, CLI and sample data."""
