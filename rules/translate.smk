# rules for stage 'translate' (filled in by its issue)
