"""The employee portal: the home page of everyone who works here."""
