"""The directory (LDAP / Active Directory): settings, the ldap3 adapter and its circuit
breaker, what entries mean, the sync into the desk, writes to groups, ``flask ldap``."""
