"""transparency.py DIR — a Python program with known file I/O for the transparency harness (issue 8).

Writes, appends, reads back and renames files, walks the tree, dumps JSON, probes errno of failing calls and runs
one child process; prints what it saw. Deterministic: the same output and files every run.
"""
import errno
import json
import os
import subprocess
import sys

root = sys.argv[1]
os.makedirs(os.path.join(root, "py", "sub"), exist_ok=True)
for i in range(20):
    with open(os.path.join(root, "py", "sub" if i % 2 else "", f"f{i:02d}.txt"), "w") as f:
        f.write(f"line {i}\n" * (i + 1))
with open(os.path.join(root, "py", "f00.txt"), "a") as f:
    f.write("appended\n")
os.rename(os.path.join(root, "py", "f02.txt"), os.path.join(root, "py", "renamed.txt"))
total = 0
for dirpath, dirnames, filenames in os.walk(os.path.join(root, "py")):
    dirnames.sort()
    for name in sorted(filenames):
        with open(os.path.join(dirpath, name), "rb") as f:
            total += len(f.read())
print("bytes", total)
summary = {"files": sum(len(f) for _, _, f in os.walk(os.path.join(root, "py"))), "bytes": total}
with open(os.path.join(root, "summary.json"), "w") as f:
    json.dump(summary, f, sort_keys=True)
for probe in ("missing/file", "py/sub"):
    try:
        open(os.path.join(root, probe), "r+").close()
    except OSError as e:
        print("errno", probe, errno.errorcode[e.errno])
child = subprocess.run(["cat", os.path.join(root, "summary.json")], capture_output=True, text=True, check=True)
print("child", child.stdout)
