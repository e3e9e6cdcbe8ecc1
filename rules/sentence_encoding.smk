# rules for stage 'sentence_encoding' (filled in by its issue)
