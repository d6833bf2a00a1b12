"""nbgrader's settings for the xcon_teach course: run nbgrader from this folder.

    source .venv/bin/activate                   # from the clone: nbgrader needs its helpers (alembic) on PATH
    cd course
    nbgrader generate_assignment challenges     # release/challenges/challenges.ipynb, without solutions
    nbgrader autograde challenges               # grades submitted/<student>/challenges/
    nbgrader export --to grades.csv             # the gradebook, one row a student and assignment

The assignment's source is source/challenges/challenges.ipynb (instructor material: it holds the
solutions). Write it again after changing the challenges with tools/make_course.py.
"""

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (nbgrader provides it)
c.CourseDirectory.course_id = "xcon-teach"
c.ExecutePreprocessor.timeout = 300
