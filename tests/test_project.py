"""The project's own promises: the README's test command is what CI runs; docs list every notebook."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands(section: str):
    block = re.search(rf"## {section}.*?```sh\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, f"README.md has no {section} shell block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_runs_the_demo_and_ci_runs_the_readmes_test_command():
    assert [c.split()[:2] for c in readme_commands("Quick start")] == [["cradle-nb", "demo"]]
    commands = readme_commands("Tests")
    assert len(commands) == 1 and "nbdev_test" in commands[0] and "pytest" in commands[0]
    ci = (REPO / ".ci" / "run").read_text()
    assert commands[0] in ci.splitlines(), "CI must run the README's test command verbatim"


def test_readme_is_a_front_page():
    "At most 10,000 characters; the first screen answers what, install, run and docs."
    readme = (REPO / "README.md").read_text()
    assert len(readme) <= 10_000, len(readme)
    first_screen = "\n".join(readme.splitlines()[:40])
    for must in ("implements CRADLE-VAE", "## Install", "git clone", "cradle-nb.github.io"):
        assert must in first_screen, must


def test_readme_mirrors_index_notebook():
    import json
    index = json.loads((REPO / "nbs" / "index.ipynb").read_text())
    readme = (REPO / "README.md").read_text()
    for cell in index["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                assert line in readme, f"README.md is out of step with index.ipynb: {line!r}"


def test_sidebar_lists_every_notebook():
    sidebar = (REPO / "nbs" / "sidebar.yml").read_text()
    for nb in sorted((REPO / "nbs").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in str(nb):
            assert str(nb.relative_to(REPO / "nbs")) in sidebar, f"{nb.name} missing from nbs/sidebar.yml"
