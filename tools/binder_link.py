"""Print the Binder link (and a Markdown badge) for this clone's own repository: works for any fork.

    python3 tools/binder_link.py            # from the `origin` remote
    python3 tools/binder_link.py URL        # or for a repository address you give

Binder builds the repository from environment.yml and opens the first lesson in JupyterLab.
"""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import quote

LESSON = "notebooks/00_start_here.ipynb"


def binder_url(remote: str, ref: str = "HEAD") -> str:
    """The mybinder.org link for a GitHub repository address (https or ssh form).

    >>> binder_url("git@github.com:someone/xcon_teach.git")
    'https://mybinder.org/v2/gh/someone/xcon_teach/HEAD?labpath=notebooks%2F00_start_here.ipynb'
    """
    found = re.search(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$", remote.strip())
    if found is None:
        raise SystemExit(f"binder_link: not a GitHub repository address: {remote!r} (Binder's form takes others too)")
    owner, repo = found.groups()
    return f"https://mybinder.org/v2/gh/{owner}/{repo}/{ref}?labpath={quote(LESSON, safe='')}"


def main() -> int:
    remote = sys.argv[1] if len(sys.argv) > 1 else ""
    if not remote:
        ran = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True)
        if ran.returncode != 0:
            raise SystemExit("binder_link: this clone has no `origin` remote; give the repository's address")
        remote = ran.stdout
    url = binder_url(remote)
    print(url)
    print(f"[![Binder](https://mybinder.org/badge_logo.svg)]({url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
