"""The CMDB as a graph: its vocabulary, layout and neighbourhoods as plain data (pure)."""
