#!/usr/bin/env python3
"""posta vs msmtp against the loopback smart host; medians of interleaved runs.

Environment: the TB_* variables of tests/lib/testbed.sh.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

TMP = tempfile.mkdtemp(prefix="posta-bench-")

def run(cmd, data, rss=False, env=None):
    """Run cmd with data on stdin; return (wall s, cpu s, maxrss KiB).

    Peak RSS comes from GNU time around the command: the rusage of a child
    forked from this (large) Python process would count Python's pages.
    """
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        tfile = os.path.join(TMP, "rss")
        full = (["/usr/bin/time", "-f", "%M", "-o", tfile] if rss else []) + cmd
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdin=f, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or err:
        sys.exit("%s failed (%d): %s" % (cmd[0], code, err.decode()))
    maxrss = int(open(tfile).read().split()[-1]) if rss else 0
    return wall, ru.ru_utime + ru.ru_stime, maxrss

# The test bed accepts and discards mail for discard*: the upstream's own
# local delivery (a Python capture process per message) would otherwise
# compete for the CPU with the clients being measured.
SINK = "discard-sink@bench.test"


def message(size):
    head = b"From: bench@example.com\nTo: " + SINK.encode() + b"\nSubject: bench\n\n"
    line = b"x" * 76 + b"\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body

def ms(x):
    return "%.2f ms" % (x * 1000)

def private_store(d, ca):
    """A copy of the system store plus the test CA: a hashed directory
    and a bundle, as Debian's update-ca-certificates makes them. The
    machine's own /etc/ssl is never touched."""
    store = os.path.join(d, "store")
    os.makedirs(store, exist_ok=True)
    src = "/etc/ssl/certs"
    pems = []
    for n in sorted(os.listdir(src)):
        p = os.path.join(src, n)
        if n.endswith(".pem") and os.path.isfile(p):
            shutil.copyfile(p, os.path.join(store, n))
            pems.append(os.path.join(store, n))
    shutil.copyfile(ca, os.path.join(store, "posta-test-ca.pem"))
    pems.append(os.path.join(store, "posta-test-ca.pem"))
    subprocess.run(["openssl", "rehash", store], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bundle = os.path.join(d, "bundle.crt")
    with open(bundle, "wb") as out:
        for p in pems:
            with open(p, "rb") as f:
                out.write(f.read())
    return store, bundle, len(pems)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posta", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--queue", type=int, default=1000)
    a = ap.parse_args()
    e = os.environ
    store, bundle, ncerts = private_store(a.dir, e["TB_CA"])
    sysenv = dict(e, SSL_CERT_DIR=store, SSL_CERT_FILE=bundle)
    # Separate spools: the foreground sends must not flush (and so deliver,
    # and be charged for) the messages queued with -odq for the queue run.
    def pconf_for(name, ca_file):
        path = os.path.join(a.dir, name + ".conf")
        with open(path, "w") as f:
            f.write("[upstream]\nhost = %s\nport = %s\ntls = starttls\n"
                    "username = %s\npassword = %s\n%s"
                    "[sender]\ndomain = example.com\n[queue]\ndir = %s\n"
                    "[log]\nsyslog = no\n" % (e["TB_HOST"],
                    e["TB_PORT_SUBMISSION"], e["TB_USER"], e["TB_PASS"],
                    "ca_file = %s\n" % ca_file if ca_file else "",
                    os.path.join(a.dir, name)))
        os.chmod(path, 0o600)
        return path
    pconf = pconf_for("fg", e["TB_CA"])
    sconf = pconf_for("sys", None)
    # no resumption, to show what it saves: the session cannot be stored
    nconf = pconf_for("nores", None)
    os.makedirs(os.path.join(a.dir, "nores"), exist_ok=True)
    open(os.path.join(a.dir, "nores", "tls"), "w").close()
    qconf = pconf_for("queue", e["TB_CA"])
    def mconf_for(name, trust):
        path = os.path.join(a.dir, name)
        with open(path, "w") as f:
            f.write("defaults\nsyslog off\nlogfile\naccount default\nhost %s\n"
                    "port %s\ntls on\ntls_starttls on\ntls_trust_file %s\n"
                    "auth on\nuser %s\npassword %s\nfrom bench@example.com\n" %
                    (e["TB_HOST"], e["TB_PORT_SUBMISSION"], trust,
                     e["TB_USER"], e["TB_PASS"]))
        os.chmod(path, 0o600)
        return path
    msmtp = shutil.which("msmtp")
    # GnuTLS reads neither SSL_CERT_DIR nor SSL_CERT_FILE: msmtp gets the
    # same bundle as its trust file ("system" would be /etc/ssl's).
    mconf = mconf_for("msmtprc", e["TB_CA"])
    msconf = mconf_for("msmtprc-sys", bundle)
    posta = [a.posta, "-C", pconf, "-f", "bench@example.com", SINK]
    postas = [a.posta, "-C", sconf, "-f", "bench@example.com", SINK]
    postan = [a.posta, "-C", nconf, "-f", "bench@example.com", SINK]
    postaq = [a.posta, "-C", qconf, "-odq", "-f", "bench@example.com", SINK]
    mcmd = [msmtp, "-C", mconf, SINK] if msmtp else None
    mscmd = [msmtp, "-C", msconf, SINK] if msmtp else None
    small = message(1024)

    print("posta %s vs %s; loopback Postfix, STARTTLS + AUTH PLAIN; "
          "medians over %d interleaved runs" %
          (subprocess.run([a.posta, "--version"], capture_output=True,
                          text=True).stdout.strip(),
           subprocess.run([msmtp, "--version"], capture_output=True,
                          text=True).stdout.splitlines()[0] if msmtp else
           "no msmtp", a.n))
    print("trust: ca_file = the test CA alone; system = SSL_CERT_DIR/"
          "SSL_CERT_FILE on a private copy of the system store plus the "
          "test CA (%d certificates; msmtp: that bundle as tls_trust_file)"
          % ncerts)
    W = {k: [] for k in ("p", "ps", "pn", "m", "ms", "q")}
    C = {k: [] for k in W}
    def one(k, cmd, env=None):
        w, c, _ = run(cmd, small, env=env)
        W[k].append(w)
        C[k].append(c)
    for i in range(a.n):
        one("p", posta)
        one("ps", postas, sysenv)
        one("pn", postan, sysenv)
        if mcmd:
            one("m", mcmd)
            one("ms", mscmd, sysenv)
        one("q", postaq)
    # the -odq messages are still queued: the queue run below includes them
    for i in range(a.queue - a.n):
        run(postaq, small)
    t0 = time.perf_counter()
    subprocess.run([a.posta, "-C", qconf, "-q"], check=True)
    qrun = (time.perf_counter() - t0) / a.queue
    left = subprocess.run([a.posta, "-C", qconf, "-bp"], capture_output=True,
                          text=True).stdout.strip()

    big = message(50 * 1024 * 1024)
    _, _, prss_small = run(posta, small, rss=True)
    _, _, prss_big = run(posta, big, rss=True)
    mrss_small = mrss_big = None
    if mcmd:
        _, _, mrss_small = run(mcmd, small, rss=True)
        _, _, mrss_big = run(mcmd, big, rss=True)

    med = {k: statistics.median(v) if v else None for k, v in W.items()}
    cpu = {k: statistics.median(v) if v else None for k, v in C.items()}
    def ratio(m, p):
        return "%.1fx" % (m / p) if m and p else "-"
    M = med["m"]
    rows = [
        ("foreground send, 1 KB, wall: ca_file", ms(med["p"]),
         ms(M) if M else "-", ratio(M, med["p"]), ">= 10x"),
        ("foreground send, 1 KB, wall: system store", ms(med["ps"]),
         ms(med["ms"]) if M else "-", ratio(med["ms"], med["ps"]), ">= 10x"),
        ("  same, without resumption", ms(med["pn"]),
         ms(med["ms"]) if M else "-", ratio(med["ms"], med["pn"]), ""),
        ("CPU per message (user+sys): ca_file", ms(cpu["p"]),
         ms(cpu["m"]) if M else "-", ratio(cpu["m"], cpu["p"]), ">= 3x"),
        ("CPU per message (user+sys): system store", ms(cpu["ps"]),
         ms(cpu["ms"]) if M else "-", ratio(cpu["ms"], cpu["ps"]), ">= 3x"),
        ("  same, without resumption", ms(cpu["pn"]),
         ms(cpu["ms"]) if M else "-", ratio(cpu["ms"], cpu["pn"]), ""),
        ("enqueue only (-odq), wall per invocation", ms(med["q"]),
         ms(M) if M else "-", ratio(M, med["q"]), ">= 25x"),
        ("  its CPU", ms(cpu["q"]), "", "", ""),
        ("queue run (-q) over %d messages, per message" % a.queue, ms(qrun),
         ms(M) if M else "-", ratio(M, qrun), ">= 150x"),
        ("peak RSS, 1 KB message", "%d KiB" % prss_small,
         "%d KiB" % mrss_small if mrss_small else "-", "", ""),
        ("peak RSS, 50 MB message", "%d KiB" % prss_big,
         "%d KiB" % mrss_big if mrss_big else "-",
         "%+.1f%% vs 1 KB" % (100.0 * (prss_big - prss_small) / prss_small),
         "<= +10%, < msmtp"),
    ]
    print("%-48s %12s %12s %16s %s" % ("", "posta", "msmtp", "ratio", "target"))
    for r in rows:
        print("%-48s %12s %12s %16s %s" % r)
    if "empty" not in left:
        print("warning: queue not empty after -q:\n" + left)

if __name__ == "__main__":
    main()
