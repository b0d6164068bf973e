"""Views for a terminal (rich): tables, the advice table, the live view, progress bars."""
