"""Command-line tools behind ``har-ros <command>``.

Each module here defines ``add_arguments(parser)`` and ``run(args) -> int``; its docstring's
first line is the one-line help shown by ``har-ros --help``.
"""
