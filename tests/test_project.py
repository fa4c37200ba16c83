"""The project's own promises: the README's test command is what CI runs; docs list every notebook."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, "README.md has no Quick start shell block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert len(commands) == 2
    assert any("nbdev_test" in c and "pytest" in c for c in commands)
    ci = (REPO / ".ci" / "run").read_text()
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in ci.splitlines(), "CI must run the README's test command verbatim"


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
