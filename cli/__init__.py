"""The ``hashpivot`` command line: value sites and write the board pack, manage the inventory and
the named scenarios. ``cli.main:main`` is the console script; each command is a module with
``register(subparsers)`` listed in ``cli.main.COMMANDS`` (the risk and plan commands join there).

Exit codes: 0 success, 1 invalid input (every problem listed, naming row and field), 2 usage
(unknown command or option, a missing argument), 3 an unexpected internal error.
"""
