#!/usr/bin/env python3
"""A small scriptable SMTP server for the faults Postfix cannot produce.

faultsmtp.py --port P --dir D [--tls none|implicit|starttls] [--cert C --key K]
             [--script FILE]

Listens on 127.0.0.1:P, writes D/pid, then D/ready. Default behaviour: a
well-behaved ESMTP server (PIPELINING, 8BITMIME, SIZE, SMTPUTF8, DSN,
ENHANCEDSTATUSCODES, AUTH PLAIN LOGIN after TLS, STARTTLS with --tls
starttls) that accepts everything. Script directives, one per line ('#'
comments); COUNT is "once", a number, or absent (always); counters are
global across connections, so a retry succeeds once they are used up:

  greet CODE TEXT [COUNT]        reply to the connection instead of 220
  ehlo-fail                      answer EHLO with 502 (HELO works)
  no KEYWORD                     leave KEYWORD out of the EHLO reply
  auth-plaintext                 offer AUTH without TLS too
  reply CMD CODE TEXT [COUNT]    CMD: MAIL RCPT DATA DOT AUTH RSET QUIT EHLO
  rcpt SUBSTR CODE TEXT [COUNT]  reply for RCPT whose address contains SUBSTR
  drop CMD [COUNT]               close instead of replying to CMD
  delay CMD SECONDS [COUNT]      wait before replying to CMD (GREET too: the
                                 greeting, after the connection is accepted)
  hold CMD FILE [COUNT]          before replying to CMD, log "hold" and wait
                                 until FILE exists (at most 60 s): the test
                                 does something to the client meanwhile
  max-rcpts N                    452 4.5.3 after N recipients per transaction
  rcpt-long CODE OCTETS          answer every RCPT with a multi-line CODE reply
                                 of about OCTETS octets naming the recipient
  close-after N                  close the session after N messages
  max-per-connection N           after N messages in a session, answer MAIL
                                 with "421 4.7.0 too many messages in this
                                 connection" and close (Exim's
                                 smtp_accept_max_per_connection)
  close-at CMD N                 CMD: MAIL or RCPT; close the connection,
                                 without a reply, at the Nth CMD of each
                                 session (replies to earlier commands of a
                                 pipelined batch go out first)

CMD for reply/drop/delay also takes STARTTLS ("reply STARTTLS 454 4.7.0
no TLS now" refuses the upgrade).  A 421 greeting closes the connection,
any other non-220 greeting waits for QUIT (RFC 5321 3.1).  Unknown
directives are an error (exit 2), so a typo cannot pass silently.

D/transcript gets "C<n> < line", "C<n> > line", "C<n> * event" for every
connection n (events: connect, tls, tls-version V, tls-error REASON, drop, delay S, hold,
close-after, close).  AUTH lines and their continuation lines are logged
as they arrived, so a test can prove a secret never travelled in clear:
everything logged before "C<n> * tls" on that connection was cleartext. Each accepted message is D/msgs/NNNNNN.eml (the DATA,
unstuffed, byte-exact) and NNNNNN.env ("sender S", "param P",
"recipient R" lines).

Hostile directives (a server that breaks the protocol; COUNT as above):

  silent [COUNT]                 accept the connection and say nothing, not
                                 even a TLS handshake with --tls implicit
  stall CMD [COUNT]              after the reply to CMD say nothing more
                                 ("stall STARTTLS": 220, then no handshake)
  huge CMD OCTETS [COUNT]        the reply to CMD is one line of OCTETS octets
  endless CMD [COUNT]            the reply to CMD is "CODE-..." lines forever
  trickle CMD SECONDS [COUNT]    the reply to CMD goes out one byte at a time
  noeol CMD [COUNT]              the reply to CMD has no line end, then close
  nul                            every reply line carries NUL bytes
  lf-only                        every reply line ends in LF alone
  after-dot CODE TEXT            once a message is accepted, every later
                                 command of that session gets this reply

CMD here also takes GREET (the greeting) and DOT.
"""
import argparse, os, socket, ssl, sys, threading, time

LOCK = threading.Lock()
STATE = {"conn": 0, "msg": 0}


class Rule:
    def __init__(self, words, count):
        self.words = words
        self.left = count  # None: always

    def fire(self):
        with LOCK:
            if self.left is None:
                return True
            if self.left > 0:
                self.left -= 1
                return True
            return False


def parse_count(words):
    if words and words[-1] == "once":
        return words[:-1], 1
    if words and words[-1].isdigit() and len(words) > 1 and not words[-2].isdigit():
        return words[:-1], int(words[-1])
    return words, None


KINDS = ("greet", "reply", "rcpt", "drop", "delay", "ehlo-fail", "no",
         "auth-plaintext", "max-rcpts", "close-after")
KINDS += ("rcpt-long", "max-per-connection", "close-at", "hold")
CMDS = ("EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DOT", "RSET",
        "QUIT")


def bad(path, line, why):
    sys.stderr.write("faultsmtp: %s: %s: %s\n" % (path, line.strip(), why))
    sys.exit(2)


# Hostile directives: kind -> (names of the fixed arguments, takes COUNT).
HOSTILE = {"silent": ((), True), "stall": (("CMD",), True),
           "huge": (("CMD", "OCTETS"), True), "endless": (("CMD",), True),
           "trickle": (("CMD", "SECONDS"), True), "noeol": (("CMD",), True),
           "nul": ((), False), "lf-only": ((), False),
           "after-dot": (("CODE",), False)}
HOSTILE_CMDS = CMDS + ("GREET",)


def hostile_rule(path, raw, words):
    """A hostile directive as (kind, Rule(fixed args + rest, count))."""
    kind, args = words[0], words[1:]
    names, counted = HOSTILE[kind]
    if len(args) < len(names):
        bad(path, raw, "needs " + " ".join(names))
    fixed, rest = args[:len(names)], args[len(names):]
    for n, v in zip(names, fixed):
        if n == "CMD" and v.upper() not in HOSTILE_CMDS:
            bad(path, raw, "CMD must be one of " + " ".join(HOSTILE_CMDS))
        if n in ("OCTETS", "CODE") and not v.isdigit():
            bad(path, raw, n + " must be a number")
        if n == "SECONDS":
            try:
                float(v)
            except ValueError:
                bad(path, raw, "SECONDS must be a number")
    count = None
    if counted and rest:
        if len(rest) != 1 or not (rest[0] == "once" or rest[0].isdigit()):
            bad(path, raw, "COUNT must be once or a number")
        count = 1 if rest[0] == "once" else int(rest[0])
        rest = []
    if not counted and kind != "after-dot" and rest:
        bad(path, raw, "takes no arguments")
    return kind, Rule(fixed + rest, count)


def load_script(path):
    rules = []
    if not path:
        return rules
    for line in open(path):
        raw = line
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind = words[0]
        if kind in HOSTILE:
            rules.append(hostile_rule(path, raw, words))
            continue
        if kind not in KINDS:
            bad(path, raw, "unknown directive")
        if kind == "delay" and len(words) > 1 and words[1].upper() == "GREET":
            pass
        elif kind in ("reply", "drop", "delay", "hold") and (
                len(words) < 2 or words[1].upper() not in CMDS):
            bad(path, raw, "CMD must be one of " + " ".join(CMDS))
        if kind in ("greet", "reply", "rcpt") and len(words) < 3:
            bad(path, raw, "needs a reply code")
        if kind == "delay" and len(words) < 3:
            bad(path, raw, "needs SECONDS")
        if kind == "hold" and len(parse_count(words[1:])[0]) != 2:
            bad(path, raw, "needs CMD and FILE")
        if kind in ("max-rcpts", "close-after", "max-per-connection") and (
                len(words) != 2 or not words[1].isdigit()):
            bad(path, raw, "needs a number")
        if kind == "close-at" and (len(words) != 3 or words[1].upper()
                                   not in ("MAIL", "RCPT")
                                   or not words[2].isdigit()):
            bad(path, raw, "needs MAIL or RCPT and a number")
        if kind == "rcpt-long" and (len(words) != 3 or not words[1].isdigit()
                                    or not words[2].isdigit()):
            bad(path, raw, "needs a reply code and a size")
        if kind in ("greet", "reply", "rcpt", "drop", "delay", "hold"):
            if kind == "delay":  # delay CMD SECONDS [COUNT]
                rest = words[1:3]
                count = (None if len(words) < 4 else
                         1 if words[3] == "once" else int(words[3]))
            else:
                rest, count = parse_count(words[1:])
            rules.append((kind, Rule(rest, count)))
        else:
            rules.append((kind, Rule(words[1:], None)))
    return rules


class Session:
    def __init__(self, srv, sock, n):
        self.srv, self.sock, self.n = srv, sock, n
        self.buf = b""
        self.tls = False
        self.out = []
        self.msgs = 0
        self.seen = {"MAIL": 0, "RCPT": 0}  # for close-at
        self.reset()

    def reset(self):
        self.sender, self.params, self.rcpts = None, "", []

    def log(self, kind, line):
        with LOCK:
            with open(os.path.join(self.srv.dir, "transcript"), "ab") as f:
                f.write(b"C%d %s %s\n" % (self.n, kind.encode(), line))

    def rules(self, kind):
        return [r for k, r in self.srv.rules if k == kind]

    def close_at(self, cmd):
        """Count cmd; close without a reply at the Nth (close-at)."""
        self.seen[cmd] += 1
        for r in self.rules("close-at"):
            if r.words[0].upper() == cmd and self.seen[cmd] == int(r.words[1]):
                self.flush()
                self.log("*", b"close-at %s" % cmd.encode())
                raise ConnectionAbortedError

    def has(self, kind, arg=None):
        for r in self.rules(kind):
            if arg is None or (r.words and r.words[0].upper() == arg):
                return True
        return False

    def send(self, line, flush=True):
        self.log(">", line.encode())
        self.out.append(self.wire(line.encode()))
        if flush:
            self.flush()

    # The hostile directives: how a reply line goes on the wire.
    def wire(self, line):
        """line (bytes, no line end) as sent, under "nul" and "lf-only"."""
        if self.has("nul"):
            head, sep, tail = line[4:].rpartition(b" ")
            line = line[:4] + head + b"\0" + sep + tail + b"\0"
        return line + (b"\n" if self.has("lf-only") else b"\r\n")

    def fires(self, kind, cmd):
        for r in self.rules(kind):
            if r.words[0].upper() == cmd and r.fire():
                return r
        return None

    def silence(self):
        """Say nothing more; read and drop what comes until the close."""
        self.flush()
        self.log("*", b"silent")
        while self.sock.recv(65536):
            pass
        raise ConnectionAbortedError

    def emit(self, cmd, text, flush=True):
        """Send text as the reply to cmd, shaped by huge, endless,
        trickle and noeol; then go silent under stall."""
        huge, endless = self.fires("huge", cmd), self.fires("endless", cmd)
        trickle, noeol = self.fires("trickle", cmd), self.fires("noeol", cmd)
        if not (huge or endless or trickle or noeol):
            self.send(text, flush)
        else:
            self.flush()
            line = text.encode()
            if huge:
                n = int(huge.words[1])
                line = line[:3] + b" " + b"x" * max(0, n - 4)
            self.log("*", b"%s%s%s%s reply to %s" % (
                b"huge " if huge else b"", b"endless " if endless else b"",
                b"trickled " if trickle else b"",
                b"unterminated " if noeol else b"", cmd.encode()))

            def chunks():
                while endless:
                    yield self.wire(line[:3] + b"-")
                yield line if noeol else self.wire(line)

            pause = float(trickle.words[1]) if trickle else 0
            for c in chunks():
                if not pause:
                    self.sock.sendall(c)
                    continue
                for i in range(len(c)):
                    self.sock.sendall(c[i:i + 1])
                    time.sleep(pause)
            if noeol:
                raise ConnectionAbortedError
        if self.fires("stall", cmd):
            self.silence()

    def after_dot(self, text):
        if self.msgs > 0:
            for r in self.rules("after-dot"):
                return " ".join(r.words)
        return text

    def flush(self):
        if self.out:
            self.sock.sendall(b"".join(self.out))
            self.out = []

    def readline(self):
        while b"\n" not in self.buf:
            self.flush()  # replies to a pipelined batch leave together
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def special(self, cmd, default):
        """Apply hold/delay/drop/reply rules for cmd; return the reply or None to drop."""
        for r in self.rules("hold"):
            if r.words[0].upper() == cmd and r.fire():
                self.log("*", b"hold")
                self.flush()
                end = time.monotonic() + 60
                while not os.path.exists(r.words[1]) and time.monotonic() < end:
                    time.sleep(0.05)
        for r in self.rules("delay"):
            if r.words[0].upper() == cmd and r.fire():
                self.log("*", b"delay %s" % r.words[1].encode())
                self.flush()
                time.sleep(float(r.words[1]))
        for r in self.rules("drop"):
            if r.words[0].upper() == cmd and r.fire():
                self.log("*", b"drop")
                return None
        for r in self.rules("reply"):
            if r.words[0].upper() == cmd and r.fire():
                return " ".join(r.words[1:])
        return default

    def reply(self, cmd, default):
        text = self.special(cmd, default)
        if text is None:
            raise ConnectionAbortedError
        text = self.after_dot(text)
        more = bool(self.buf) and b"\n" in self.buf
        self.emit(cmd, text, flush=not more)
        return text

    def ehlo_lines(self):
        exts = ["PIPELINING", "8BITMIME", "SIZE 52428800", "SMTPUTF8", "DSN",
                "ENHANCEDSTATUSCODES"]
        if self.srv.tlsmode == "starttls" and not self.tls:
            exts.append("STARTTLS")
        if self.tls or self.has("auth-plaintext"):
            exts.append("AUTH PLAIN LOGIN")
        omit = {w.upper() for k, r in self.srv.rules if k == "no" for w in r.words}
        return [e for e in exts if e.split()[0] not in omit]

    def starttls(self):
        self.flush()
        try:
            self.sock = self.srv.ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log("*", b"tls-error " + str(e).encode("utf-8", "replace"))
            raise ConnectionAbortedError
        self.tls = True
        self.log("*", b"tls")
        self.log("*", b"tls-version " + (self.sock.version() or "").encode())

    def run(self):
        for r in self.rules("silent"):
            if r.fire():
                self.silence()
        if self.srv.tlsmode == "implicit":
            self.starttls()
        text = "220 fault.test ESMTP faultsmtp"
        for r in self.rules("delay"):
            if r.words[0].upper() == "GREET" and r.fire():
                self.log("*", b"delay %s" % r.words[1].encode())
                time.sleep(float(r.words[1]))
        for r in self.rules("greet"):
            if r.fire():
                text = " ".join(r.words)
        self.emit("GREET", text)
        if text.startswith("421"):
            return
        if not text.startswith("220"):
            self.readline_quiet()
            return
        while True:
            line = self.readline()
            self.log("<", line)
            word = line.split(b" ", 1)[0].upper().decode("latin-1")
            if word in ("EHLO", "HELO"):
                if word == "EHLO" and self.has("ehlo-fail"):
                    self.reply("EHLO", "502 5.5.2 no EHLO here")
                    continue
                if word == "HELO":
                    self.reply("EHLO", "250 fault.test")
                    continue
                lines = ["fault.test"] + self.ehlo_lines()
                for l in lines[:-1]:
                    self.send("250-" + l, flush=False)
                self.reply("EHLO", "250 " + lines[-1])
            elif word == "STARTTLS":
                if self.srv.tlsmode != "starttls" or self.tls:
                    self.send("503 5.5.1 STARTTLS not available" if self.tls
                              else "502 5.5.1 STARTTLS not offered")
                    continue
                text = self.reply("STARTTLS", "220 2.0.0 go ahead")
                if not text.startswith("220"):
                    continue
                if self.buf:
                    self.log("*", b"data after STARTTLS discarded")
                    self.buf = b""
                self.starttls()
            elif word == "AUTH":
                self.auth(line)
            elif word == "MAIL":
                self.reset()
                self.close_at("MAIL")
                for k, r in self.srv.rules:
                    if k == "max-per-connection" and self.msgs >= int(r.words[0]):
                        self.send("421 4.7.0 too many messages in this connection")
                        self.log("*", b"max-per-connection")
                        raise ConnectionAbortedError
                addr = line.split(b":", 1)[-1].lstrip().decode("utf-8", "replace")
                self.sender, _, self.params = addr.partition(" ")
                self.reply("MAIL", "250 2.1.0 ok")
            elif word == "RCPT":
                self.rcpt(line.split(b":", 1)[-1].lstrip().decode("utf-8", "replace"))
            elif word == "DATA":
                self.data()
            elif word == "RSET":
                self.reset()
                self.reply("RSET", "250 2.0.0 ok")
            elif word == "NOOP":
                self.send("250 2.0.0 ok")
            elif word == "QUIT":
                self.reply("QUIT", "221 2.0.0 bye")
                return
            else:
                self.send("502 5.5.2 unknown command")

    def readline_quiet(self):
        try:
            while True:
                line = self.readline()
                self.log("<", line)
                if line.upper().startswith(b"QUIT"):
                    self.send("221 2.0.0 bye")
                    return
                self.send("503 5.5.1 go away")
        except (EOFError, OSError):
            pass

    def auth(self, line):
        parts = line.split()
        if len(parts) < 2:
            self.send("501 5.5.4 AUTH needs a mechanism")
            return
        if not self.tls and not self.has("auth-plaintext"):
            self.send("538 5.7.11 encryption required")
            return
        if parts[1].upper() == b"LOGIN":
            self.send("334 VXNlcm5hbWU6")
            self.log("<", self.readline())
            self.send("334 UGFzc3dvcmQ6")
            self.log("<", self.readline())
        elif len(parts) < 3:
            self.send("334 ")
            self.log("<", self.readline())
        self.reply("AUTH", "235 2.7.0 authenticated")

    def long_reply(self, code, size, addr):
        """A reply of about size octets of text, each line naming addr."""
        head = "%s.0.0 %s " % (code[0], addr)
        lines = []
        while size > 0 or not lines:
            n = max(len(head) + 1, min(500, size))
            lines.append(head + "x" * (n - len(head)))
            size -= n
        for l in lines[:-1]:
            self.send("%s-%s" % (code, l), flush=False)
        self.send("%s %s" % (code, lines[-1]), flush=not (b"\n" in self.buf))

    def rcpt(self, addr):
        self.close_at("RCPT")
        a = addr.split(" ", 1)[0]
        for r in self.rules("rcpt-long"):
            self.long_reply(r.words[0], int(r.words[1]), a)
            return
        for r in self.rules("rcpt"):
            if r.words[0] in a and r.fire():
                self.send(" ".join(r.words[1:]), flush=not (b"\n" in self.buf))
                return
        for k, r in self.srv.rules:
            if k == "max-rcpts" and len(self.rcpts) >= int(r.words[0]):
                self.send("452 4.5.3 too many recipients",
                          flush=not (b"\n" in self.buf))
                return
        text = self.reply("RCPT", "250 2.1.5 ok")
        if text.startswith("2"):
            self.rcpts.append(addr)

    def data(self):
        if not self.rcpts:
            self.send("554 5.5.1 no valid recipients")
            return
        text = self.reply("DATA", "354 end with .")
        if not text.startswith("3"):
            return
        body = []
        while True:
            while b"\n" not in self.buf:
                d = self.sock.recv(65536)
                if not d:
                    raise EOFError
                self.buf += d
            line, self.buf = self.buf.split(b"\n", 1)
            if line in (b".\r", b"."):
                break
            if line.startswith(b"."):
                line = line[1:]
            body.append(line + b"\n")
        self.log("<", b"(message, %d octets)" % sum(map(len, body)))
        text = self.special("DOT", "250 2.0.0 queued")
        if text is not None and text.startswith("2"):
            self.store(b"".join(body))
        if text is None:
            raise ConnectionAbortedError
        self.emit("DOT", text)
        self.msgs += 1
        self.reset()
        for k, r in self.srv.rules:
            if k == "close-after" and self.msgs >= int(r.words[0]):
                self.log("*", b"close-after")
                raise ConnectionAbortedError

    def store(self, data):
        with LOCK:
            STATE["msg"] += 1
            n = STATE["msg"]
        base = os.path.join(self.srv.dir, "msgs", "%06d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        with open(base + ".env", "w") as f:
            f.write("sender %s\n" % self.sender.strip("<>"))
            if self.params:
                f.write("param %s\n" % self.params)
            for r in self.rcpts:
                a, _, p = r.partition(" ")
                f.write("recipient %s\n" % a.strip("<>"))
                if p:
                    f.write("rparam %s\n" % p)
        os.rename(base + ".eml.tmp", base + ".eml")


class Server:
    def __init__(self, a):
        self.dir, self.tlsmode = a.dir, a.tls
        self.rules = load_script(a.script)
        os.makedirs(os.path.join(a.dir, "msgs"), exist_ok=True)
        self.ctx = None
        if a.tls != "none":
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(a.cert, a.key)

    def serve(self, port):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(512)
        with open(os.path.join(self.dir, "pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        open(os.path.join(self.dir, "ready"), "w").close()
        print("ready", flush=True)
        while True:
            s, _ = ls.accept()
            with LOCK:
                STATE["conn"] += 1
                n = STATE["conn"]
            threading.Thread(target=self.handle, args=(s, n), daemon=True).start()

    def handle(self, s, n):
        sess = Session(self, s, n)
        sess.log("*", b"connect")
        try:
            sess.run()
        except (EOFError, ConnectionAbortedError, OSError, ssl.SSLError):
            pass
        except Exception as e:  # a bug here must not hang the client
            sess.log("*", b"error " + repr(e).encode("utf-8", "replace"))
        sess.log("*", b"close")
        try:
            sess.sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls", default="none",
                    choices=("none", "implicit", "starttls"))
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--script")
    Server(ap.parse_args()).serve(ap.parse_args().port)


if __name__ == "__main__":
    main()
