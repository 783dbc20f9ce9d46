"""nbgrader configuration: instructors write solutions/, students get exercises/."""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "autograd-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The gradebook defaults to sqlite:///gradebook.db in this folder; any SQLAlchemy URL works, e.g.
# c.CourseDirectory.db_url = "postgresql://grader@localhost/autograd_course"

# Check cells re-added when a student deletes them, instead of "needs manual grade".
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 60
