"""Forms of the dialogue app, one module per subdomain (meetings, check-in, questions...)."""
