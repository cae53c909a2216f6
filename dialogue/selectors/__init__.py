"""Reads of the dialogue app, computed in SQL: attendance summaries, the questions' transparency
figures."""
