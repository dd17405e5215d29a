#!/usr/bin/env python3
"""Drive an SMTP server on a pipe (posta -bs) through a script.

smtpchat.py SCRIPT CMD [ARG...]

Starts CMD with pipes on stdin/stdout (stderr inherited) and follows
SCRIPT, one directive a line ('#' comment lines and blank lines skipped):

  > TEXT       queue TEXT plus CR LF ("> " alone or ">" queues an empty
               line); nothing is written yet
  < PREFIX     write everything queued in ONE write(2), then read one
               reply (all its lines); its last line must start with PREFIX
  ! COMMAND    run COMMAND with sh -c; must exit 0; $REPLY holds the last
               line of the last reply
  eof          close CMD's standard input

The transcript goes to stdout ("S: " server lines, "C: " client lines,
"C: <write N octets>" for each write). After the script, standard input
is closed and CMD must exit within 30 s; its exit status is printed as
"exit N". Exit status: 0 when every expectation held, 1 otherwise
(the reason is on stderr), 2 for a bad script.
"""
import os
import select
import subprocess
import sys
import time

READ_TIMEOUT = 15


class Chat:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.buf = b""
        self.queue = []
        self.last = ""

    def out(self, s):
        sys.stdout.write(s + "\n")
        sys.stdout.flush()

    def flush(self):
        if not self.queue:
            return
        data = b"".join(self.queue)
        self.queue = []
        self.out("C: <write %d octets>" % len(data))
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except BrokenPipeError:
            raise SystemExit(self.fail("the server closed its input"))

    def line(self):
        fd = self.p.stdout.fileno()
        deadline = time.monotonic() + READ_TIMEOUT
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            d = os.read(fd, 65536)
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        ln = ln.decode("utf-8", "replace")
        if not ln.endswith("\r"):
            self.out("S: (line without CR)")
        return ln.rstrip("\r")

    def reply(self):
        while True:
            ln = self.line()
            if ln is None:
                return None
            self.out("S: " + ln)
            if len(ln) < 4 or not ln[:3].isdigit() or ln[3] not in " -":
                return "(malformed reply line) " + ln
            if ln[3] == " ":
                return ln

    def fail(self, why):
        sys.stderr.write("smtpchat: %s\n" % why)
        return 1

    def run(self, script):
        for n, raw in enumerate(open(script, encoding="utf-8"), 1):
            d = raw.rstrip("\n")
            if d.strip() == "" or d.startswith("#"):
                continue
            if d == ">" or d.startswith("> "):
                text = d[2:]
                self.out("C: " + text)
                self.queue.append(text.encode("utf-8") + b"\r\n")
            elif d.startswith("< "):
                self.flush()
                want = d[2:]
                got = self.reply()
                if got is None:
                    return self.fail("line %d: no reply (want %s)" % (n, want))
                self.last = got
                if not got.startswith(want):
                    return self.fail("line %d: got '%s', want '%s...'"
                                     % (n, got, want))
            elif d.startswith("! "):
                self.flush()
                env = dict(os.environ, REPLY=self.last)
                rc = subprocess.call(["sh", "-c", d[2:]], env=env)
                if rc != 0:
                    return self.fail("line %d: check failed: %s" % (n, d[2:]))
            elif d == "eof":
                self.flush()
                self.p.stdin.close()
            else:
                self.fail("line %d: bad directive: %s" % (n, d))
                return 2
        return 0

    def finish(self):
        try:
            self.flush()
            if not self.p.stdin.closed:
                self.p.stdin.close()
        except (BrokenPipeError, SystemExit):
            pass
        fd = self.p.stdout.fileno()
        rest = b""
        deadline = time.monotonic() + 30
        while True:
            left = deadline - time.monotonic()
            r = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            if not r:
                self.p.kill()
                self.p.wait()
                self.out("exit timeout")
                return 1
            d = os.read(fd, 65536)
            if not d:
                break
            rest += d
        try:
            self.p.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            self.out("exit timeout")
            return 1
        for ln in (self.buf + rest).decode("utf-8", "replace").splitlines():
            self.out("S: " + ln.rstrip("\r"))
        self.out("exit %d" % self.p.returncode)
        return 0


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    c = Chat(sys.argv[2:])
    try:
        rc = c.run(sys.argv[1])
    except SystemExit as e:
        rc = e.code
    if c.finish() != 0 and rc == 0:
        rc = c.fail("the server did not exit")
    return rc


if __name__ == "__main__":
    sys.exit(main())
