"""Import and export of the CMDB: file formats, staging, validation, writes and their pages."""
