"""Services (writes) of the projects app: projects and ideas, the participation fund, influence records."""
