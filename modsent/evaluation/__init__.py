"""The evaluation, along its jobs: texts (`texts`), embeddings and their cache
(`embeddings`), scores (`scoring`). The workflow runs them through `python -m
modsent.evaluate texts|embed|score`; `modsent evaluate` calls the same functions in-process."""
