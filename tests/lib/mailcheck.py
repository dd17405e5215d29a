#!/usr/bin/env python3
"""Look into a captured message (test bed capture or fault server msgs/).

mailcheck.py hdr FILE NAME        value of the first NAME field, unfolded
                                  (raw bytes, CR LF removed); exit 1 if none
mailcheck.py hdr-all FILE NAME    every NAME field's value, one a line
mailcheck.py hdr-dec FILE NAME    the first NAME field, RFC 2047 decoded
mailcheck.py count FILE NAME      how many NAME fields the header section has
mailcheck.py names FILE           the field names in order, one a line
mailcheck.py body FILE            the body (after the first empty line) as
                                  stored, byte for byte; CR LF kept
mailcheck.py body-lf FILE         the body with CR LF turned into LF
mailcheck.py text FILE            the body of a text/plain message, its
                                  Content-Transfer-Encoding undone, UTF-8

The header section ends at the first empty line (or at the end of the
file). The test bed's Received field counts like any other field.
"""
import sys
from email.header import decode_header, make_header


def split(data):
    # the first empty line, CR LF or LF, whichever comes first
    i = 0
    while True:
        j = data.find(b"\n", i)
        if j == -1:
            return data, b""
        line = data[i:j].rstrip(b"\r")
        if line == b"":
            return data[:i], data[j + 1:]
        i = j + 1


def fields(head):
    out = []
    for raw in head.split(b"\n"):
        line = raw.rstrip(b"\r")
        if line == b"":
            continue
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += line
            continue
        name, _, value = line.partition(b":")
        out.append([name, value.lstrip(b" \t")])
    return out


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    head, body = split(data)
    out = sys.stdout.buffer
    if cmd == "body":
        out.write(body)
        return 0
    if cmd == "text":
        import email
        from email import policy
        m = email.message_from_bytes(data, policy=policy.compat32)
        raw = m.get_payload(decode=True)
        cs = m.get_content_charset() or "us-ascii"
        text = raw.decode(cs, "replace").replace("\r\n", "\n")
        out.write(text.encode("utf-8"))
        return 0
    if cmd == "body-lf":
        out.write(body.replace(b"\r\n", b"\n"))
        return 0
    fl = fields(head)
    if cmd == "names":
        for n, _ in fl:
            out.write(n + b"\n")
        return 0
    want = sys.argv[3].encode().lower()
    vals = [v for n, v in fl if n.lower() == want]
    if cmd == "count":
        out.write(b"%d\n" % len(vals))
        return 0
    if cmd == "hdr-all":
        for v in vals:
            out.write(v + b"\n")
        return 0
    if not vals:
        return 1
    if cmd == "hdr":
        out.write(vals[0] + b"\n")
        return 0
    if cmd == "hdr-dec":
        text = vals[0].decode("utf-8", "surrogateescape")
        dec = str(make_header(decode_header(text)))
        out.write(dec.encode("utf-8", "surrogateescape") + b"\n")
        return 0
    sys.stderr.write("mailcheck: unknown command %s\n" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
