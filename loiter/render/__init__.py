"""Trace -> artefact: Gantt charts, animations, exports, the book log, notebook and terminal."""
