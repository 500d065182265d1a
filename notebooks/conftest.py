"""pytest settings for the notebooks folder (read by ``pytest --nbval ... notebooks``).

The student edition, ``student/05_exercises.ipynb``, is generated with its outputs
cleared, so strict nbval would have nothing to compare and would only check that cells
run. ``tests/test_student.py`` executes it instead and asserts exactly which cells raise
``NotImplementedError`` (the stubs and the checks that call them) and that every other
cell runs cleanly, so nbval leaves it alone.
"""

collect_ignore_glob = ["student/*.ipynb"]
