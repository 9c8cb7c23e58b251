"""``python -m helpers``: the command line (:mod:`helpers.cli.commands`)."""

from .cli.commands import main

if __name__ == "__main__":
    main()
