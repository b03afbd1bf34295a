"""The service catalog: categories, items and their versioned forms (variables, patterns,
CI offers), who may order, and the catalog administration pages."""
