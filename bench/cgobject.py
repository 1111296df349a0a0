#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/cgobject.py - the instructions a callgrind output file counts in
each shared object (self cost: what ran inside the object, not what it
called), for bench/programs.

    bench/cgobject.py FILE PATTERN [TOP]

prints "instructions<TAB>object<TAB>instructions of the whole process" for
the object whose path contains PATTERN (0 if none), then with TOP the TOP functions of that object by
self cost ("instructions<TAB>calls from outside<TAB>function").
Python 3 standard library only.
"""

import re
import sys


def parse(path, pattern):
    names = {}

    def name(kind, text):
        # name compression: "(id) name" defines an id, "(id)" refers to one
        m = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not m:
            return text
        key = (kind, m.group(1))
        if m.group(2) is not None:
            names[key] = m.group(2)
        return names.get(key, "?")

    ob = fn = cob = cfn = None
    in_call = False
    objects, funcs, calls = {}, {}, {}
    with open(path, errors="replace") as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                if in_call:  # the inclusive cost of a call: not self cost
                    in_call = False
                    continue
                parts = line.split()
                if len(parts) >= 2:
                    cost = int(parts[1])
                    objects[ob] = objects.get(ob, 0) + cost
                    if ob and pattern in ob:
                        funcs[fn] = funcs.get(fn, 0) + cost
                continue
            key, _, val = line.partition("=")
            val = val.strip()
            if key == "ob":
                ob = name("ob", val)
            elif key == "fn":
                fn = name("fn", val)
            elif key == "cob":
                cob = name("ob", val)
            elif key == "cfn":
                cfn = name("fn", val)
            elif key == "calls":
                in_call = True
                target = cob if cob is not None else ob
                # calls into the object from outside it: the API calls made
                if target and pattern in target and not (ob and pattern in ob):
                    calls[cfn] = calls.get(cfn, 0) + int(val.split()[0])
                cob = None
            elif key in ("fl", "fi", "fe", "cfi", "cfl"):
                pass
    return objects, funcs, calls


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    objects, funcs, calls = parse(sys.argv[1], sys.argv[2])
    total = sum(v for o, v in objects.items() if o and sys.argv[2] in o)
    print("%d\t%s\t%d" % (total, sys.argv[2], sum(objects.values())))
    if len(sys.argv) > 3:
        for fn, v in sorted(funcs.items(), key=lambda x: -x[1])[: int(sys.argv[3])]:
            print("%d\t%d\t%s" % (v, calls.get(fn, 0), fn))


if __name__ == "__main__":
    main()
