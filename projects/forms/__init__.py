"""Forms of the projects app: projects, the participation fund, influence records."""
