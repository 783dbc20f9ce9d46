"""Who a submission belongs to: the shapes of student ids, shared by ``cli``, ``collect`` and ``grade``.

Kept in a module of its own, with no imports of the package, so that ``autograder --help`` stays
light and ``collect`` needs neither the command line nor the grading pipeline.
"""

import re

# A student id as a folder name under submissions/: no path separators, no leading dot or dash.
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
# The LMS file-name convention (Canvas: <login>_<ids>_<file>).
DEFAULT_ID_PATTERN = r"^(?P<student>[A-Za-z0-9][A-Za-z0-9.@+-]*)_"
# Moodle's folder per student: "<Full Name>_<participant number>_assignsubmission_<plugin>_".
DEFAULT_FOLDER_PATTERN = r"^.*_(?P<student>\d+)_assign(?:submission|feedback)_[A-Za-z]+_?$"
