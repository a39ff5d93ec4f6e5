"""What users run: the `rag` command, the web chat and its conversation logic, progress bars."""
