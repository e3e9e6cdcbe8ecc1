# rules for stage 'full' (filled in by its issue)
