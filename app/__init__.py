"""The composition root: the one list of features, building every part once, and `main`."""
