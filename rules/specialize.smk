# rules for stage 'specialize' (filled in by its issue)
