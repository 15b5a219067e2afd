"""A small simulated world with everything the server shows: used by the tests, the benchmark and to try it out.

::

    from nomagic.serve.demo import prepare_world
    wh = prepare_world("/tmp/world")   # /tmp/world/world.duckdb + .nomagic/registry next to it
"""

from __future__ import annotations

import os
import time
from pathlib import Path

DONE = ".nomagic-world-ready"


def prepare_world(
    folder: str | Path,
    *,
    customers: int = 1500,
    days: int = 500,
    seed: int = 3,
    recommendations: bool = True,
    segments: bool = True,
    quiet: bool = True,
) -> str:
    """Simulate a shop, train churn and propensity, score CLV, segments and recommendations; returns the
    warehouse path. Reuses the world when ``folder`` already holds one (safe across processes: a lock file)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "world.duckdb"
    done, lock = folder / DONE, folder / ".lock"
    while not done.exists():
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:  # another process builds it
            time.sleep(1)
            continue
        try:
            _build(path, customers, days, seed, recommendations, segments, quiet)
            done.write_text("ok\n")
        finally:
            os.close(fd)
            lock.unlink(missing_ok=True)
    return str(path)


def _build(path: Path, customers: int, days: int, seed: int, recommendations: bool, segments: bool, quiet: bool):
    import contextlib
    import io

    from nomagic import demo_steps
    from nomagic.usecases.clv.usecase import Clv
    from nomagic.warehouse import connect

    out = io.StringIO()
    env = os.environ.pop("NOMAGIC_REGISTRY", None)
    try:
        with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
            demo_steps.run(
                customers=customers,
                days=days,
                seed=seed,
                out=path.parent / "report.html",
                warehouse=str(path),
                force=True,
                use_cases=["churn", "propensity", "clv", "budget"],
                voice=demo_steps.Voice() if quiet else demo_steps.PrintVoice(),
            )
    finally:
        if env is not None:
            os.environ["NOMAGIC_REGISTRY"] = env
    with connect(str(path)) as wh:
        Clv().write_scores(wh)
        if segments:
            from nomagic.usecases.segments.usecase import Segments

            Segments().write_scores(wh)
        if recommendations:
            from nomagic.usecases.recommend.usecase import Recommend

            Recommend().write_scores(wh)


def copy_world(warehouse: str | Path, folder: str | Path) -> str:
    """A private copy of a prepared world (warehouse file + registry) in ``folder``; returns the new warehouse path.

    Each test module (or xdist worker) serves its own copy, so no two processes hold one DuckDB file."""
    import shutil

    src = Path(warehouse)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, folder / src.name)
    reg = src.parent / ".nomagic" / "registry"
    if reg.exists():
        shutil.copytree(reg, folder / ".nomagic" / "registry", dirs_exist_ok=True)
    return str(folder / src.name)


def shared_world(tmp_path_factory) -> str:
    """For pytest: the world built once per test run (shared by xdist workers through a lock file)."""
    if os.environ.get("NOMAGIC_TEST_SERVE_WORLD"):  # a prepared world to reuse while developing
        return prepare_world(os.environ["NOMAGIC_TEST_SERVE_WORLD"])
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return prepare_world(base / "nomagic-serve-world")
