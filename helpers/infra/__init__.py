"""Where the code runs and what it keeps: platform, device and precision, seeding, FAST mode (``env``);
checkpoints (``checkpoint``), the one atomic write (``files``), the shipped generator (``pretrained``).
Engineering a learner may skip."""
