"""The demo data loaded by `manage.py load_demo`: meetings, questions, projects, the fund, influence."""
