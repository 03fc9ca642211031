"""Fault drills of the exam engine (issue 12, point 7): ``python -m bench.drills``; see drills.py."""
