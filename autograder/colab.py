"""The one place that says where the course is published, for Colab badges and installs."""

REPOSITORY = "autograd-course/autograd-course"
BRANCH = "main"
PACKAGE = f"autograd-course @ git+https://github.com/{REPOSITORY}@{BRANCH}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def url(path: str) -> str:
    """Open-in-Colab link for a notebook at ``path`` in the repository."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def badge_markdown(path: str) -> str:
    return f"[![Open In Colab]({BADGE})]({url(path)})"
