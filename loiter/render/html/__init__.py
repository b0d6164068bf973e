"""The interactive HTML report: report.py builds one self-contained page; its script,
style and template are package data beside it."""
