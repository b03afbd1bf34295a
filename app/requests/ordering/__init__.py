"""Ordering from the catalog: one request with an item per line of the cart, canceling
before fulfilment, and the order form pages."""
