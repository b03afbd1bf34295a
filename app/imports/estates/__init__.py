"""Estates from other tools (NetBox, iTop) brought into the CMDB: each reader turns its source
into an :class:`~app.imports.estates.model.Estate` (pure), and the shared sync applies it."""
