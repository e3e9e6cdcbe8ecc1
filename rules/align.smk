# rules for stage 'align' (filled in by its issue)
