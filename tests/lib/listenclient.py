#!/usr/bin/env python3
"""SMTP clients for the posta -bd tests (tests/it/t_listen*.sh).

  listenclient.py send PORT FROM RCPT FILE [--host H] [--source ADDR]
      one message with smtplib (the file's bytes, CR LF lines); prints
      "sent" or "refused CODE TEXT"; exit 0 when sent.
  listenclient.py many PORT N RCPT_PREFIX [--host H]
      N clients at once, each its own connection and message to
      RCPT_PREFIX-<i>@dest.test; prints "ok N" and the failures.
  listenclient.py greet PORT [--host H] [--source ADDR]
      the first reply line, or "closed" / "timeout"
  listenclient.py stall PORT SECONDS [--host H]
      connect, read the greeting, send nothing; prints what the server
      says before it closes (or "open" if it did not within SECONDS).
  listenclient.py sigterm PORT RCPT READY GO
      MAIL, RCPT, DATA and half the message; creates READY, waits for
      GO, sends the rest and the dot; prints the reply to the data
      ("250 ...", or "closed"), then the reply to a NOOP.
  listenclient.py launch PORTFILE -- CMD...
      socket activation as systemd does it: a listening socket on a free
      loopback port (written to PORTFILE) becomes fd 3, LISTEN_FDS=1,
      LISTEN_PID is this pid, then exec CMD (same pid).
"""
import os
import smtplib
import socket
import sys
import threading
import time


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        val = args[i + 1]
        del args[i:i + 2]
        return val
    return default


def connect(host, port, source=None, timeout=20):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


def lines(sock):
    buf = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            yield "timeout"
            return
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            if buf:
                yield buf.decode("utf-8", "replace")
            yield "closed"
            return
        buf += chunk
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            yield line.decode("utf-8", "replace")


def reply(it):
    """One whole reply: the last line of a multi-line one."""
    for line in it:
        if len(line) >= 4 and line[3] == "-":
            continue
        return line
    return "closed"


def send(args):
    host = opt(args, "--host", "127.0.0.1")
    source = opt(args, "--source")
    port, sender, rcpt, path = int(args[0]), args[1], args[2], args[3]
    with open(path, "rb") as f:
        data = f.read()
    try:
        smtp = smtplib.SMTP(host, port, timeout=30,
                            source_address=(source, 0) if source else None)
        smtp.sendmail(sender, [rcpt], data, mail_options=["BODY=8BITMIME"])
        smtp.quit()
    except smtplib.SMTPResponseException as e:
        print("refused %d %s" % (e.smtp_code, e.smtp_error.decode()))
        return 1
    except smtplib.SMTPRecipientsRefused as e:
        print("refused %r" % e.recipients)
        return 1
    except (OSError, smtplib.SMTPException) as e:
        print("error %s" % e)
        return 1
    print("sent")
    return 0


def many(args):
    host = opt(args, "--host", "127.0.0.1")
    port, n, prefix = int(args[0]), int(args[1]), args[2]
    errors = []
    start = threading.Barrier(n)

    def one(i):
        rcpt = "%s-%d@dest.test" % (prefix, i)
        msg = ("From: c%d@example.com\r\nTo: %s\r\nSubject: client %d\r\n"
               "Message-ID: <c%d.%s@example.com>\r\n"
               "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n"
               "message of client %d\r\n" % (i, rcpt, i, i, prefix, i))
        try:
            start.wait(30)
            smtp = smtplib.SMTP(host, port, timeout=60)
            smtp.sendmail("c%d@example.com" % i, [rcpt], msg)
            smtp.quit()
        except Exception as e:  # noqa: BLE001: report every kind
            errors.append("client %d: %r" % (i, e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    print("ok %d" % (n - len(errors)))
    for e in errors:
        print(e)
    return 0 if not errors else 1


def greet(args):
    host = opt(args, "--host", "127.0.0.1")
    source = opt(args, "--source")
    try:
        s = connect(host, int(args[0]), source, 10)
    except OSError as e:
        print("connect: %s" % e)
        return 1
    print(reply(lines(s)))
    s.close()
    return 0


def stall(args):
    host = opt(args, "--host", "127.0.0.1")
    s = connect(host, int(args[0]), None, float(args[1]))
    it = lines(s)
    print(reply(it), flush=True)
    got = reply(it)
    print("open" if got == "timeout" else got)
    s.close()
    return 0


def sigterm(args):
    port, rcpt, ready, go = int(args[0]), args[1], args[2], args[3]
    s = connect("127.0.0.1", port)
    it = lines(s)
    assert reply(it).startswith("220")
    s.sendall(b"EHLO sigterm.test\r\n")
    assert reply(it).startswith("250")
    s.sendall(b"MAIL FROM:<term@example.com>\r\nRCPT TO:<%s>\r\nDATA\r\n"
              % rcpt.encode())
    for want in ("250", "250", "354"):
        got = reply(it)
        assert got.startswith(want), got
    s.sendall(b"Subject: SIGTERM during DATA\r\n\r\nfirst half\r\n")
    open(ready, "w").close()
    for _ in range(1200):
        if os.path.exists(go):
            break
        time.sleep(0.05)
    try:
        s.sendall(b"second half\r\n.\r\n")
        print(reply(it), flush=True)
        s.sendall(b"NOOP\r\n")
        print(reply(it))
    except OSError as e:
        print("closed (%s)" % e)
    return 0


def launch(args):
    portfile = args[0]
    cmd = args[args.index("--") + 1:]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    if ls.fileno() != 3:
        os.dup2(ls.fileno(), 3)
        ls.close()
    os.set_inheritable(3, True)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
               LISTEN_FDNAMES="posta-smtpd.socket")
    os.execve(cmd[0], cmd, env)


def main():
    args = sys.argv[1:]
    cmd = args.pop(0)
    return {"send": send, "many": many, "greet": greet, "stall": stall,
            "sigterm": sigterm, "launch": launch}[cmd](args)


if __name__ == "__main__":
    sys.exit(main())
