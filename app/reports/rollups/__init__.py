"""Pre-aggregated reporting data: ticket facts, daily rollups, their upkeep."""
