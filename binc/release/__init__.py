"""The release builder: bound each child's contribution, measure the declared workload once with
differential-privacy noise, make the tables consistent, and write the release file.

`binc.release.build.build_release(warehouse, out, config=None, rng=None)` is the entry point; the
file format itself (read and write) is `binc.release_file`, which the reading side uses without
importing any of this package.
"""
