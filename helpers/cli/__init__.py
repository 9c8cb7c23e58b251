"""The command line (``python -m helpers``) and its run folders: engineering a learner may skip."""
