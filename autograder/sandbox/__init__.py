"""Where student notebooks run: executors (local, or warm workers) and the bubblewrap sandbox around them.

``bubblewrap`` builds the sandbox's command line and caps; ``forkserver`` is the warm process inside it that
forks one fresh kernel per notebook; ``warmkernel`` plugs it into jupyter_client; ``executors`` runs many
notebooks in parallel and survives lost workers. Only plain data crosses back to the grader.
"""
