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


def github_anchor(heading: str) -> str:
    "The anchor GitHub gives a markdown heading: lower case, punctuation but hyphens dropped, spaces as hyphens."
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_benchmarks_page_contents_lists_every_section():
    "Every section of the benchmarks page is in its contents, and every link there leads to a section."
    page = (REPO / "benchmarks" / "README.md").read_text()
    anchors = [github_anchor(h) for h in re.findall(r"^### (.+)$", page, re.M)]
    assert len(anchors) == len(set(anchors)), "two sections share a heading"
    links = re.findall(r"^- \[.+\]\(#([^)]+)\)$", page.split("## Sections")[0], re.M)
    assert sorted(links) == sorted(anchors), (set(links) ^ set(anchors))


def test_sidebar_lists_every_notebook():
    sidebar = (REPO / "nbs" / "sidebar.yml").read_text()
    for nb in sorted((REPO / "nbs").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in str(nb):
            assert str(nb.relative_to(REPO / "nbs")) in sidebar, f"{nb.name} missing from nbs/sidebar.yml"


def package_imports():
    "Each module of the package and the package modules it imports, at the top or inside functions."
    import ast
    graph = {}
    for path in sorted((REPO / "cradle_nb").glob("*.py")):
        name = path.stem
        if name.startswith("_"):
            continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module.removeprefix("cradle_nb.") if node.level == 0 else node.module
                if node.level or node.module.startswith("cradle_nb."):
                    found.add(module.split(".")[0])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("cradle_nb."):
                found.add(node.value.split(".")[1])      # import_module("cradle_nb.x")
        graph[name] = found - {name}
    return graph


def test_the_import_graph_is_acyclic():
    "No two modules import each other, directly or through others (imports inside functions count)."
    graph = package_imports()
    assert {"vae", "training", "checkpoints", "predict"} <= set(graph) and "vae" not in graph["training"]
    state = {}

    def visit(node, path):
        if state.get(node) == "open":
            raise AssertionError(f"import cycle: {' -> '.join(path + [node])}")
        if state.get(node) == "done":
            return
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        state[node] = "done"

    for module in graph:
        visit(module, [])


def test_each_module_holds_one_concern_of_modest_size():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (REPO / "cradle_nb").glob("*.py") if p.name != "_modidx.py"}
    assert max(sizes.values()) <= 470, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_every_chapter_shows_output():
    "Each chapter is committed executed, with output from code of its own (not only show_doc)."
    import json
    for nb in sorted((REPO / "nbs").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        shown = [c for c in cells if c["cell_type"] == "code" and c.get("outputs")
                 and not "".join(c["source"]).startswith("show_doc")]
        assert shown, f"{nb.name} shows no output of its own"


def test_the_package_compiles_without_warnings():
    "Invalid escape sequences in docstrings (`\\sum` written `\\s...`) warn today and are errors in a later Python."
    import warnings
    for path in sorted((REPO / "cradle_nb").glob("*.py")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(path.read_text(), str(path), "exec")
