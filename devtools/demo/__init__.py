"""The demo data loaded by `manage.py load_demo`: meetings, questions, projects, funds, influence."""
