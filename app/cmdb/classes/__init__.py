"""CI classes: the class tree, class attributes, their services and admin pages."""
