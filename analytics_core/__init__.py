"""Code every component shares: settings, paths, the warehouse client."""
