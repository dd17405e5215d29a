#!/usr/bin/env python3
"""Read posta's delivery log lines (posta(8) LOGGING) as a program would.

logline.py FILE ID [KEY]   the last delivery line of queue id ID in FILE
                           (a [log] file): KEY's value, decoded, or with
                           no KEY every "key value" pair, one a line
                           (keys in order; a value's line breaks as \\n)

Values are bare (no blank, '"' or '\\') or in double quotes with \\", \\\\
and \\xHH escapes. Exit 1 when there is no such line or key, 2 when a line
breaks these rules (so a test fails on a malformed line, too).
"""
import re
import sys


def parse(rest):
    """'k=v k="q v"' -> [(k, v)]; ValueError when malformed."""
    out, i, n = [], 0, len(rest)
    while i < n:
        if rest[i] != " ":
            raise ValueError("no blank before a key at %d" % i)
        i += 1
        m = re.compile(r"[a-z_]+=").match(rest, i)
        if not m:
            raise ValueError("no key at %d" % i)
        key, i = m.group()[:-1], m.end()
        if i < n and rest[i] == '"':
            i += 1
            val = []
            while True:
                if i >= n:
                    raise ValueError("unterminated quote in " + key)
                c = rest[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    e = rest[i + 1:i + 2]
                    if e in ('"', "\\"):
                        val.append(e)
                        i += 2
                    elif e == "x" and re.fullmatch(r"[0-9a-f]{2}", rest[i + 2:i + 4]):
                        val.append(chr(int(rest[i + 2:i + 4], 16)))
                        i += 4
                    else:
                        raise ValueError("bad escape in " + key)
                    continue
                if ord(c) < 0x20 or c == "\x7f":
                    raise ValueError("control character in " + key)
                val.append(c)
                i += 1
            if i < n and rest[i] != " ":
                raise ValueError("junk after the quoted " + key)
            out.append((key, "".join(val)))
        else:
            j = rest.find(" ", i)
            j = n if j == -1 else j
            v = rest[i:j]
            if v == "" or '"' in v or "\\" in v or any(ord(c) < 0x21 or c == "\x7f" for c in v):
                raise ValueError("bad bare value of " + key)
            out.append((key, v))
            i = j
    return out


def main():
    path, qid = sys.argv[1], sys.argv[2]
    want = sys.argv[3] if len(sys.argv) > 3 else None
    last = None
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"\S+ posta\[\d+\]: (" + re.escape(qid) + r"): (from=.*)$", line)
            if m:
                last = " " + m.group(2)
    if last is None:
        sys.stderr.write("logline: no delivery line for %s in %s\n" % (qid, path))
        return 1
    try:
        pairs = parse(last)
    except ValueError as e:
        sys.stderr.write("logline: %s: %s\n" % (e, last))
        return 2
    if want is None:
        for k, v in pairs:
            print(k, v.replace("\n", "\\n"))
        return 0
    for k, v in pairs:
        if k == want:
            sys.stdout.write(v + "\n")
            return 0
    return 1


sys.exit(main())
