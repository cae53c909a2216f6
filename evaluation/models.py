"""Indicators and reports: filled by the indicators issue."""
