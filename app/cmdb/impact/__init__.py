"""The impact engine: the compact index and its engine, and the networkx reference (pure)."""
