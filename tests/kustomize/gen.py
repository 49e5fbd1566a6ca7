#!/usr/bin/env python3
"""Records what the real kustomize builds for each directory of testdata/kustomize/, for the
differential test of imagelock's build (src/build/oracle.rs). Not run by CI: the table it writes,
testdata/kustomize/expected.json, is committed.

kustomize's own build (api v0.21, the library Flux uses) comes compiled as a shared library in
the PyPI wheel pykustomize 0.1.4, fetched into target/ with pip; loaded with ctypes, with the
options Flux builds with (load restrictions off, no plugins, no Helm).

    python3 tests/kustomize/gen.py
"""

import ctypes
import glob
import json
import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "target", "pykustomize")
LIB = os.path.join(CACHE, "pykustomize", "_lib", "linux-amd64", "libpykustomize.so")


def library():
    if not os.path.exists(LIB):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.14",
             "--only-binary=:all:", "pykustomize==0.1.4", "-d", CACHE],
            check=True,
        )
        (wheel,) = glob.glob(os.path.join(CACHE, "pykustomize-0.1.4-*.whl"))
        zipfile.ZipFile(wheel).extractall(CACHE)
    lib = ctypes.CDLL(LIB)
    lib.pykustomize_build.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.pykustomize_build.restype = ctypes.c_int
    lib.pykustomize_last_error.restype = ctypes.c_void_p
    lib.pykustomize_free.argtypes = [ctypes.c_void_p]
    lib.pykustomize_version_string.restype = ctypes.c_void_p
    return lib


def build(lib, path):
    options = json.dumps({"load_restrictions": 1, "enable_helm": False, "enable_plugins": False,
                          "add_managedby_label": False, "reorder": "unspecified"}).encode()
    out = ctypes.c_void_p()
    if lib.pykustomize_build(path.encode(), options, ctypes.byref(out)) != 0:
        error = lib.pykustomize_last_error()
        return {"error": ctypes.string_at(error).decode() if error else "failed"}
    text = ctypes.string_at(out).decode()
    lib.pykustomize_free(out)
    # kustomize's deprecation warnings come first, as comments.
    lines = [l for l in text.splitlines(True) if not l.startswith("# Warning")]
    return {"output": "".join(lines)}


def main():
    lib = library()
    cases = os.path.join(ROOT, "testdata", "kustomize")
    table = {"kustomize": ctypes.string_at(lib.pykustomize_version_string()).decode(), "cases": {}}
    for case in sorted(os.listdir(cases)):
        path = os.path.join(cases, case)
        if os.path.isdir(path):
            result = build(lib, path)
            # Paths in messages are the machine's: keep the case-relative part.
            if "error" in result:
                result["error"] = result["error"].replace(path + "/", "").replace(path, ".")
            table["cases"][case] = result
    with open(os.path.join(cases, "expected.json"), "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
