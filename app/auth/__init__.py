"""People, groups (assignment groups), roles and sign-in."""
