"""protoscan's archive-scale benchmark: ``python -m bench`` (or ``make bench``).

See ``bench/README.md`` for what is measured, how, and the goals each number is held to.
"""
