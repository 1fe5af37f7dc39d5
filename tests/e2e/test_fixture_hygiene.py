"""The shared small release cleans up after itself and is built the same way every run.

small_release() (tests/support/small_release.py, behind the app tests' `app_release` fixture) is
built in a subprocess with the expensive steps stubbed out: what is checked is its own bookkeeping —
its temporary folder is gone once the test process has exited, and the key and noise seed it hands
to ingest and release are fixed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import TESTS

BUILD_WITH_STUBS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from support import small_release as module

seen = {}

def generate(folder, **kwargs):
    folder.mkdir(parents=True)
    (folder / "export.csv").write_bytes(b"x" * 1000)

def ingest(warehouse, files, key):
    seen["pseudonym"] = key.pseudonym("85073003328")
    warehouse.write_bytes(b"w")

def build(warehouse, out, config=None, rng=None):
    seen["noise"] = None if rng is None else int(rng.integers(2**62))
    out.write_bytes(b"r")

module.generate_exports = generate
module.ingest_files = ingest
module.build_release = build
release, warehouse = module.small_release()
assert module.small_release() == (release, warehouse)  # built once per session
folders = [str(release.parent)]
folders.append(str(module.session_folder("binc-hygiene-")))  # what test_fuzz.py uses for its release
print(json.dumps({"folders": folders, **seen}))
"""


def _build() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_WITH_STUBS, str(TESTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_small_release_folder_is_removed_when_the_test_process_ends():
    built = _build()
    for folder in built["folders"]:
        assert Path(folder).name.startswith(("binc-app-tests-", "binc-hygiene-"))
        assert not Path(folder).exists(), f"{folder} was left behind"


def test_the_small_release_is_built_with_a_fixed_key_and_seeded_noise():
    first, second = _build(), _build()
    assert first["noise"] is not None
    assert (first["pseudonym"], first["noise"]) == (second["pseudonym"], second["noise"])
