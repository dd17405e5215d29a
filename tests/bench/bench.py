#!/usr/bin/env python3
"""posta vs msmtp against the loopback smart host; medians of interleaved runs.

Environment: the TB_* variables of tests/lib/testbed.sh.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

TMP = tempfile.mkdtemp(prefix="posta-bench-")

def run(cmd, data, rss=False):
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
                             stderr=subprocess.PIPE)
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

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posta", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--queue", type=int, default=1000)
    a = ap.parse_args()
    e = os.environ
    # Two spools: the foreground sends must not flush (and so deliver,
    # and be charged for) the messages queued with -odq for the queue run.
    def pconf_for(name):
        path = os.path.join(a.dir, name + ".conf")
        with open(path, "w") as f:
            f.write("[upstream]\nhost = %s\nport = %s\ntls = starttls\n"
                    "username = %s\npassword = %s\nca_file = %s\n"
                    "[sender]\ndomain = example.com\n[queue]\ndir = %s\n"
                    "[log]\nsyslog = no\n" % (e["TB_HOST"],
                    e["TB_PORT_SUBMISSION"], e["TB_USER"], e["TB_PASS"],
                    e["TB_CA"], os.path.join(a.dir, name)))
        os.chmod(path, 0o600)
        return path
    pconf = pconf_for("fg")
    qconf = pconf_for("queue")
    mconf = os.path.join(a.dir, "msmtprc")
    with open(mconf, "w") as f:
        f.write("defaults\nsyslog off\nlogfile\naccount default\nhost %s\n"
                "port %s\ntls on\ntls_starttls on\ntls_trust_file %s\n"
                "auth on\nuser %s\npassword %s\nfrom bench@example.com\n" %
                (e["TB_HOST"], e["TB_PORT_SUBMISSION"], e["TB_CA"],
                 e["TB_USER"], e["TB_PASS"]))
    os.chmod(mconf, 0o600)
    msmtp = shutil.which("msmtp")
    posta = [a.posta, "-C", pconf, "-f", "bench@example.com", SINK]
    postaq = [a.posta, "-C", qconf, "-odq", "-f", "bench@example.com", SINK]
    mcmd = [msmtp, "-C", mconf, SINK] if msmtp else None
    small = message(1024)

    print("posta %s vs %s; loopback Postfix, STARTTLS + AUTH PLAIN; "
          "medians over %d interleaved runs" %
          (subprocess.run([a.posta, "--version"], capture_output=True,
                          text=True).stdout.strip(),
           subprocess.run([msmtp, "--version"], capture_output=True,
                          text=True).stdout.splitlines()[0] if msmtp else
           "no msmtp", a.n))
    pw, pc, mw, mc, qw = [], [], [], [], []
    for i in range(a.n):
        w, c, _ = run(posta, small); pw.append(w); pc.append(c)
        if mcmd:
            w, c, _ = run(mcmd, small); mw.append(w); mc.append(c)
        w, _, _ = run(postaq, small); qw.append(w)
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

    P, M = statistics.median(pw), statistics.median(mw) if mw else None
    rows = [
        ("foreground send, 1 KB, wall per invocation", ms(P),
         ms(M) if M else "-", "%.1fx" % (M / P) if M else "-", ">= 8x"),
        ("enqueue only (-odq), wall per invocation", ms(statistics.median(qw)),
         ms(M) if M else "-", "%.1fx" % (M / statistics.median(qw)) if M else "-",
         ">= 20x"),
        ("queue run (-q) over %d messages, per message" % a.queue, ms(qrun),
         ms(M) if M else "-", "%.1fx" % (M / qrun) if M else "-", ">= 50x"),
        ("CPU time per message (user+sys)", ms(statistics.median(pc)),
         ms(statistics.median(mc)) if mc else "-", "", ""),
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
