#!/usr/bin/env python3
"""Does the client pipeline MAIL and RCPT? A minimal ESMTP server.

pipeprobe.py --port P --dir D

Listens on 127.0.0.1:P (writes D/ready), offers PIPELINING, accepts
everything. On every MAIL it holds its reply for up to 2 seconds, waiting
for the RCPT command: a client that pipelines has sent it already, one
that waits for the 250 has not. For each MAIL it appends one line to
D/result: "pipelined" when a RCPT line arrived before the MAIL reply was
sent, "waited" otherwise. Messages are counted in D/msgs (one line each).
"""
import argparse, os, select, socket, time


def serve(conn, d):
    buf = b""

    def readline(limit=None):
        nonlocal buf
        end = None if limit is None else time.monotonic() + limit
        while b"\n" not in buf:
            if end is not None:
                left = end - time.monotonic()
                if left <= 0 or not select.select([conn], [], [], left)[0]:
                    return None
            data = conn.recv(65536)
            if not data:
                raise EOFError
            buf += data
        line, buf = buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def send(s):
        conn.sendall(s.encode() + b"\r\n")

    def note(path, text):
        with open(os.path.join(d, path), "a") as f:
            f.write(text + "\n")

    send("220 probe ESMTP")
    pending = []
    while True:
        line = pending.pop(0) if pending else readline()
        word = line.split(b" ", 1)[0].upper()
        if word == b"EHLO":
            send("250-probe\r\n250-PIPELINING\r\n250 8BITMIME")
        elif word == b"MAIL":
            nxt = readline(2.0)
            ok = nxt is not None and nxt.upper().startswith(b"RCPT")
            note("result", "pipelined" if ok else "waited")
            send("250 2.1.0 ok")
            if nxt is not None:
                pending.append(nxt)
        elif word in (b"RCPT", b"RSET", b"NOOP"):
            send("250 2.0.0 ok")
        elif word == b"DATA":
            send("354 go")
            while readline() not in (b".",):
                pass
            note("msgs", "message")
            send("250 2.0.0 queued")
        elif word == b"QUIT":
            send("221 bye")
            return
        else:
            send("502 5.5.2 unknown")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(8)
    open(os.path.join(a.dir, "ready"), "w").close()
    while True:
        conn, _ = ls.accept()
        try:
            serve(conn, a.dir)
        except (EOFError, OSError):
            pass
        conn.close()


if __name__ == "__main__":
    main()
