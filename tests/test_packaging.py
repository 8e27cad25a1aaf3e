"""End-to-end packaging checks: the built wheel, and preflight as a pre-commit hook.

These tests install preflight into a brand-new environment, so they need the
package registry for click, lxml, pyyaml and pathspec (and hatchling, for the
pre-commit install; `pre-commit try-repo` clones the hook from a local path). When the registry cannot be reached they skip with the
reason; they never fail for the lack of a network.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import FIXTURES, REPO

TIMEOUT = 600  # seconds, for every subprocess

# Output that means pip could not reach (or resolve against) the package index.
NETWORK_MARKERS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "nodename nor servname",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "Max retries exceeded",
    "Could not fetch URL",
    "No matching distribution found",
    "Could not find a version that satisfies the requirement",
)

# A template every rule is silent on: subject, preheader, text part, postal
# address and unsubscribe link all present.
CLEAN_CASE = FIXTURES / "CONTENT001" / "good-mailchimp-tag"
CLEAN_FILES = ("email.html", "email.txt", "email.meta.yaml")

# Variables that would point a child process at this checkout or this venv.
_LEAKY = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "GITHUB_ACTIONS"}
# Set when this suite itself runs inside a git hook; they would redirect our git calls.
_GIT_LEAKY = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY | _GIT_LEAKY}
    env.update(extra)
    return env


def _run(
    cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run cmd with stderr folded into stdout, so one string holds everything it said."""
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env if env is not None else _env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        check=False,
    )


def _network_failure(output: str) -> bool:
    return any(marker in output for marker in NETWORK_MARKERS)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _install_step(cmd: list[str], *, cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    """Run a step that may need the package registry: skip (never fail) when it is unreachable."""
    try:
        result = _run(cmd, cwd=cwd)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{what} timed out after {TIMEOUT}s (is the package registry reachable?)")
    if result.returncode != 0 and _network_failure(result.stdout):
        pytest.skip(f"{what} could not reach the package registry:\n{_tail(result.stdout)}")
    assert result.returncode == 0, f"{what} failed:\n{result.stdout}"
    return result


def _bin(env_dir: Path, name: str) -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return env_dir / scripts / f"{name}{suffix}"


def _build_wheel(outdir: Path) -> Path:
    outdir.mkdir()
    cmd = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "-w", str(outdir)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-build-isolation")  # build with the hatchling we already have
    _install_step(cmd, cwd=REPO, what="building the wheel")
    wheels = sorted(outdir.glob("preflight-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {outdir}, found {wheels}"
    return wheels[0]


def _fresh_venv(env_dir: Path) -> Path:
    try:
        made = _run([sys.executable, "-m", "venv", str(env_dir)], cwd=env_dir.parent)
    except subprocess.TimeoutExpired:
        pytest.skip(f"`python -m venv` timed out after {TIMEOUT}s")
    python = _bin(env_dir, "python")
    if made.returncode != 0 or not python.exists():
        pytest.skip(f"cannot create a virtual environment with pip:\n{_tail(made.stdout)}")
    return python


def test_wheel_installs_and_runs_from_site_packages(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    python = _fresh_venv(tmp_path / "venv")
    _install_step(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        cwd=tmp_path,
        what="installing the wheel",
    )
    preflight = _bin(tmp_path / "venv", "preflight")
    assert preflight.exists(), "the wheel installed no `preflight` console script"
    work = tmp_path / "work"  # run away from the checkout so nothing can import from it
    work.mkdir()

    listed = _run([str(preflight), "rules", "--format", "json"], cwd=work)
    assert listed.returncode == 0, listed.stdout
    ids = {rule["id"] for rule in json.loads(listed.stdout)["rules"]}
    assert {"CONTENT001", "PF001"} <= ids, sorted(ids)

    explained = _run([str(preflight), "explain", "CONTENT004"], cwd=work)
    assert explained.returncode == 0, explained.stdout
    assert "CONTENT004" in explained.stdout

    probe = (
        "import json, pathlib, sysconfig, preflight\n"
        "from preflight.resources import rules_dir\n"
        "package = pathlib.Path(preflight.__file__).resolve().parent\n"
        "print(json.dumps({'package': str(package), 'rules': str(rules_dir().resolve()),\n"
        "    'purelib': str(pathlib.Path(sysconfig.get_paths()['purelib']).resolve())}))\n"
    )
    located = _run([str(python), "-c", probe], cwd=work)
    assert located.returncode == 0, located.stdout
    where = {key: Path(value) for key, value in json.loads(located.stdout).items()}
    assert where["package"].is_relative_to(where["purelib"]), where
    assert where["rules"] == where["package"] / "rules", where
    assert not where["rules"].is_relative_to(REPO.resolve()), where
    assert (where["rules"] / "content.yaml").is_file()
    assert (where["rules"] / "pf.yaml").is_file()

    campaign = work / "campaign"
    campaign.mkdir()
    (campaign / "hello.html").write_text(
        "<!DOCTYPE html><html lang='en'><head><title>Hi</title></head>"
        "<body><p>Hello there.</p></body></html>\n",
        encoding="utf-8",
    )
    checked = _run([str(preflight), "check", "--no-color", str(campaign)], cwd=work)
    assert checked.returncode in (0, 1), checked.stdout
    assert "Traceback" not in checked.stdout, checked.stdout

    # the correction templates and phrases ship in the wheel too
    hello = str(campaign / "hello.html")
    command = [str(preflight), "correct", hello, "--kind", "duplicate-send"]
    corrected = _run([*command, "--output", str(work / "correction")], cwd=work)
    assert corrected.returncode == 0, corrected.stdout
    assert "Please disregard the second copy." in (
        work / "correction" / "correction.txt"
    ).read_text(encoding="utf-8")


# --- pre-commit ---------------------------------------------------------------


def _git(*args: str, cwd: Path) -> None:
    result = _run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=_git_env())
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stdout}"


def _git_env(**extra: str) -> dict[str, str]:
    return _env(
        GIT_AUTHOR_NAME="preflight tests",
        GIT_AUTHOR_EMAIL="tests@preflight.invalid",
        GIT_COMMITTER_NAME="preflight tests",
        GIT_COMMITTER_EMAIL="tests@preflight.invalid",
        **extra,
    )


def _snapshot_checkout(dest: Path) -> None:
    """Commit the checkout's working tree, untracked files included, into a new repo at dest.

    `pre-commit try-repo` on the checkout itself would only see committed files
    plus edits to tracked ones (`git add -u`): a new .pre-commit-hooks.yaml or
    module that is not committed yet would be missing from the hook it installs.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    if listed.returncode == 0:
        names = [n for n in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
        dest.mkdir()
        for name in names:
            source = REPO / name
            if source.is_file():  # tracked files deleted in the working tree are skipped
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    else:  # not a git checkout (an unpacked sdist, say): copy all but the usual junk
        shutil.copytree(
            REPO,
            dest,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", "__pycache__", "*.egg-info", "dist", "build", ".*_cache"
            ),
        )
    assert (dest / ".pre-commit-hooks.yaml").is_file(), "the checkout has no .pre-commit-hooks.yaml"
    _git("init", "--quiet", cwd=dest)
    _git("add", "--all", cwd=dest)
    _git("commit", "--quiet", "--no-verify", "-m", "snapshot", cwd=dest)


def _try_repo(
    hook_repo: Path,
    consumer: Path,
    files: list[str],
    home: Path,
    hook: str = "preflight",
    ref: str | None = None,
) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook]
    cmd += ["--ref", ref] if ref else []
    cmd += ["--color", "never", "--files", *files]
    env = _git_env(PRE_COMMIT_HOME=str(home), NO_COLOR="1")
    try:
        result = _run(cmd, cwd=consumer, env=env)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pre-commit try-repo timed out after {TIMEOUT}s (registry reachable?)")
    output = result.stdout
    log = home / "pre-commit.log"
    if log.is_file():
        output += "\n" + log.read_text(encoding="utf-8", errors="replace")
    if "An unexpected error has occurred" in output and _network_failure(output):
        pytest.skip(f"pre-commit could not install the hook from the registry:\n{_tail(output)}")
    return result.returncode, output


def _needs_pre_commit() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: pre-commit needs it")
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed in this environment (pip install pre-commit)")


def _consumer(root: Path, folder: str) -> Path:
    """A repository to check, with a copy of the clean case in ``folder`` (staged)."""
    (root / folder).mkdir(parents=True)
    for name in CLEAN_FILES:
        shutil.copy2(CLEAN_CASE / name, root / folder / name)
    _git("init", "--quiet", cwd=root)
    return root


def test_pre_commit_hook_checks_the_template_of_a_changed_text_part(tmp_path: Path) -> None:
    """`pre-commit try-repo <preflight> preflight --files bad/email.txt`: the hook hands the
    text part over and preflight checks its template, the HTML part included. (pre-commit
    installs the hook into a new environment from the package index: with no index it
    skips; the install reads nothing else from the network.)"""
    _needs_pre_commit()
    hook_repo = tmp_path / "hook-repo"
    _snapshot_checkout(hook_repo)
    consumer = _consumer(tmp_path / "consumer", "bad")
    bad_html = consumer / "bad" / "email.html"
    html = bad_html.read_text(encoding="utf-8")
    marker = "<p>Brightleaf Gardens"
    assert marker in html, "the clean fixture changed: update this test's insertion point"
    bad_html.write_text(
        html.replace(marker, f"<p>Lorem ipsum, more news soon.</p>\n{marker}", 1),
        encoding="utf-8",
    )
    text = consumer / "bad" / "email.txt"
    text.write_text(
        text.read_text(encoding="utf-8") + "Preview: https://staging.example.com/offer\n",
        encoding="utf-8",
    )
    _git("add", "--all", cwd=consumer)

    code, output = _try_repo(hook_repo, consumer, ["bad/email.txt"], tmp_path / "pc-home")
    assert "(no files to check)" not in output, output
    assert code == 1, f"expected the hook to fail (exit 1), got {code}:\n{output}"
    assert "Failed" in output, output
    assert "bad/email.txt:" in output and "LINK003" in output, output  # the text part's
    assert "bad/email.html:" in output and "CONTENT006" in output, output  # its template's


def _readme_pre_commit() -> tuple[str, str]:
    """The README's pre-commit section: the command that prints the SHA to pin, and the
    .pre-commit-config.yaml snippet."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### pre-commit\n", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    (command,) = [body.strip() for lang, body in blocks if lang == "sh"]
    (snippet,) = [body for lang, body in blocks if lang == "yaml"]
    return command, snippet


def test_readme_pre_commit_snippet_works(tmp_path: Path) -> None:
    """The README's snippet, with its `rev:` the SHA its command prints in a copy of
    preflight, is a valid pre-commit config whose hook installs and passes a clean
    change (a text part, a sidecar and a config among the files)."""
    _needs_pre_commit()
    from pre_commit.clientlib import load_config, load_manifest

    command, snippet = _readme_pre_commit()
    hook_repo = tmp_path / "hook-repo"
    _snapshot_checkout(hook_repo)
    printed = _run(shlex.split(command), cwd=hook_repo, env=_git_env())
    sha = printed.stdout.strip()
    assert printed.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha), printed.stdout

    config = yaml.safe_load(snippet)
    (repo,) = config["repos"]
    assert re.fullmatch(r"[0-9a-f]{40}", str(repo["rev"])), "rev: must be a commit SHA"
    repo["repo"], repo["rev"] = str(hook_repo), sha
    written = tmp_path / ".pre-commit-config.yaml"
    written.write_text(yaml.safe_dump(config), encoding="utf-8")
    load_config(str(written))  # pre-commit's own schema
    manifest = {hook["id"] for hook in load_manifest(str(hook_repo / ".pre-commit-hooks.yaml"))}
    (hook,) = [h["id"] for h in repo["hooks"]]
    assert hook in manifest

    consumer = _consumer(tmp_path / "consumer", "clean")
    (consumer / "clean" / "preflight.yaml").write_text("platform: mailchimp\n", encoding="utf-8")
    _git("add", "--all", cwd=consumer)
    files = [f"clean/{n}" for n in (*CLEAN_FILES, "preflight.yaml")]
    code, output = _try_repo(hook_repo, consumer, files, tmp_path / "pc-home", hook, sha)
    assert code == 0, f"expected the hook to pass, got {code}:\n{output}"
    assert "Passed" in output, output


def test_every_module_has_a_place_in_the_layers_contract() -> None:
    """A module the layers contract does not name is not held to any layer: name each one."""
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in data["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    named = {part.strip() for layer in contract["layers"] for part in re.split(r"[:|]", layer)}
    package = REPO / "src" / "preflight"
    modules = {
        f"preflight.{path.stem}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path.is_dir() and (path / "__init__.py").is_file())
    }
    assert modules - named == set()


def test_the_engine_module_stays_small() -> None:
    """Issue 13's bound: the engine's own module (engine/__init__.py, what engine.py was)
    stays under 400 lines; its jobs live in the modules beside it."""
    engine = REPO / "src" / "preflight" / "engine" / "__init__.py"
    lines = len(engine.read_text(encoding="utf-8").splitlines())
    assert lines < 400, f"engine/__init__.py has {lines} lines: move a job into its own module"
