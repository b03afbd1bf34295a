"""Personal access tokens and service accounts: the credentials of the API."""
