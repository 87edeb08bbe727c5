"""Repository tools run by nox sessions and CI (not part of the installed package)."""
