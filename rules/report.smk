# rules for stage 'report' (filled in by its issue)
