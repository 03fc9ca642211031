"""The delivery load generator (python -m bench.load): see __main__.py."""
