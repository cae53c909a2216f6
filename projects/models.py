"""Projects, the participation fund and influence records: filled by the projects issue."""
