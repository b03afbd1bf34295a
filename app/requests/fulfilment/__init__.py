"""Fulfilment: catalog tasks from the item's plan, stage by stage, their lifecycle, items and
requests closing when their work is done, and the catalog task page (agents)."""
