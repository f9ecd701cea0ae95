#!/usr/bin/env python3
"""Throwaway test helper: decodes iotrace ring and spill files (iotrace_format.h) using functions.tbl.

usage: ringdump.py [-v] [--summary] FILE...   (FILE = *.ring or *.spill)
"""
import os, re, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCALAR = {"fd", "int", "size", "offset", "pointer", "oflags", "mode", "whence", "prot", "mapflags", "fcntlcmd",
          "dupflags", "stream"}

def load_table():
    rows = {}
    for line in open(os.path.join(HERE, "..", "functions.tbl")):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        f = [x.strip() for x in line.split("|")]
        items = []
        for tok in re.split(r"\s+", f[4]) if f[4] not in ("", "-") else []:
            if re.match(r"^[A-Za-z_]\w*:[a-z]+", tok) or not items:
                m = re.match(r"^([A-Za-z_]\w*):([a-z]+)", tok)
                items.append((m.group(1), m.group(2)))
        rows[int(f[0])] = (f[1], items)
    return rows

TABLE = load_table()

def header(b):
    magic, ver, hlen, cap, pid, ppid, inc, origin, state = struct.unpack_from("<QIIIIIIII", b, 0)
    start_ns, ticks, lost, spilled = struct.unpack_from("<qQQQ", b, 40)
    spilling, uid = struct.unpack_from("<II", b, 72)
    pticks, = struct.unpack_from("<Q", b, 80)
    def cstr(off, n):
        return b[off:off + n].split(b"\0")[0].decode(errors="replace")
    cmdlen, = struct.unpack_from("<I", b, 8704)
    cmd = [x.decode(errors="replace") for x in b[8708:8708 + cmdlen].split(b"\0") if x]
    return dict(magic=magic.to_bytes(8, "little").decode(errors="replace"), version=ver, header_length=hlen,
                capacity=cap, pid=pid, ppid=ppid, incarnation=inc, origin=origin, state=state, start_ns=start_ns,
                proc_start_ticks=ticks, lost=lost, spilled=spilled, spilling=spilling, uid=uid,
                parent_start_ticks=pticks, hostname=cstr(256, 256), exe=cstr(512, 4096), cwd=cstr(4608, 4096),
                cmdline=cmd)

def decode(type_id, p):
    t0, t1, result, tid, err, status = struct.unpack_from("<qqqiHH", p, 0)
    name, items = TABLE.get(type_id, ("?%d" % type_id, []))
    slots = [i for i in items if i[1] in SCALAR]
    strs = [i for i in items if i[1] not in SCALAR]
    out = {}
    off = 32
    for n, k in slots:
        out[n], = struct.unpack_from("<q", p, off)
        off += 8
    for n, k in strs:
        cnt, = struct.unpack_from("<H", p, off)
        off += 2
        if k == "argv":
            v = []
            for _ in range(cnt):
                l, = struct.unpack_from("<H", p, off)
                v.append(p[off + 2:off + 2 + l].decode(errors="replace"))
                off += 2 + l
            out[n] = v
        else:
            out[n] = p[off:off + cnt].decode(errors="replace")
            off += cnt
    if off != len(p):
        raise ValueError("%s: payload %d bytes, decoded %d" % (name, len(p), off))
    return dict(fn=name, t0=t0, t1=t1, result=result, tid=tid, errno=err, status=status, **out)

def records(path):
    b = open(path, "rb").read()
    h = header(b)
    recs = []
    if h["magic"] == "IOTRRING":
        cap = h["capacity"]
        data = b[16384:16384 + cap]
        trailer = 16384 + cap
        tail, = struct.unpack_from("<q", b, trailer + 128)
        head, = struct.unpack_from("<q", b, trailer + 384)
        pos = head
        while pos < tail:
            idx = pos & (cap - 1)
            length, typ = struct.unpack_from("<ii", data, idx)
            if length <= 0:
                raise ValueError("uncommitted record at %d" % pos)
            if typ != -1:
                recs.append((typ, data[idx + 8:idx + length]))
            pos += (length + 7) & ~7
        h["tail"] = tail
        h["head"] = head
    else:
        off = 16384
        while off + 8 <= len(b):
            length, typ = struct.unpack_from("<ii", b, off)
            if length < 8 or off + length > len(b):
                break
            recs.append((typ, b[off + 8:off + length]))
            off += (length + 7) & ~7
    return h, [decode(t, p) for t, p in recs]

if __name__ == "__main__":
    args = sys.argv[1:]
    verbose = "-v" in args
    files = [a for a in args if not a.startswith("-")]
    for f in files:
        h, recs = records(f)
        print("==", f, {k: h[k] for k in ("magic", "pid", "ppid", "incarnation", "origin", "state", "lost",
                                           "spilled", "spilling", "parent_start_ticks", "proc_start_ticks")
                        }, "cmdline=", h["cmdline"])
        counts = {}
        for r in recs:
            counts[r["fn"]] = counts.get(r["fn"], 0) + 1
            if verbose:
                print("  ", r)
        print("   records:", len(recs), counts)
