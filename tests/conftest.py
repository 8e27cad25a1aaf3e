from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]

# The results cache of every run the suite makes (in process and in subprocesses, which
# inherit the environment) goes to a temporary folder, never into the repository: one per
# test (below), so each test starts cold and the cache is exercised within it.
os.environ["PREFLIGHT_CACHE_DIR"] = tempfile.mkdtemp(prefix="preflight-test-cache-")


@pytest.fixture(autouse=True)
def _cache_per_test(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"


def bench_module(name: str) -> ModuleType:
    """bench/<name>.py, imported as ``name`` (bench/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def preflight_command() -> list[str]:
    """The installed `preflight` beside this interpreter, else `python -m preflight`."""
    script = Path(sys.executable).parent / "preflight"
    if script.exists():
        return [str(script)]
    found = shutil.which("preflight")
    return [found] if found else [sys.executable, "-m", "preflight"]


@pytest.fixture
def run_cli():
    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, **kw):
        environment = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
        environment.update(env or {})
        return subprocess.run(
            [*preflight_command(), *args],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            **kw,
        )

    return run


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        assert os.environ.get("CI") != "true", f"the shared corpus is not beside {CORPUS}"
        pytest.skip(f"the shared corpus is not beside this checkout ({CORPUS})")
    return CORPUS


FIXTURE_PORT = "55555"
"""The port live-link fixtures write; the runner puts the test server's port in its place."""


@pytest.fixture(scope="session")
def link_servers():
    """Two loopback web servers (127.0.0.1 and 127.0.0.2) with every fault the checker knows."""
    from .linkserver import LinkServer

    servers = []
    for host in ("127.0.0.1", "127.0.0.2"):
        for _ in range(20):  # fixtures need a port as long as FIXTURE_PORT: columns stay put
            server = LinkServer(host)
            if len(str(server.server_address[1])) == len(FIXTURE_PORT):
                break
            server.server_close()
        servers.append(server.start())
    yield servers
    for server in servers:
        server.stop()
