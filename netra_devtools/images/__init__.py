"""Local stand-in images for CI, built from Debian packages where no registry is reachable."""
