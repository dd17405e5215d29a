#!/usr/bin/env python3
"""kill -9 of posta at random moments, during intake and during delivery.

crash.py --posta BIN --conf CONF --spool DIR --fault-dir D [--rounds N]
         [--jobs J] [--seed S]

Each round sends one message with a unique token (X-Crash-Token) and the
SHA-256 of its body (X-Crash-Body-SHA256) through `posta -i -C CONF` and
kills it with SIGKILL at a random moment:

  intake rounds   stdin is fed slowly, in chunks, by a writer thread; the
                  kill lands while posta is still reading (the writer
                  kills it between two chunks), or just after the end of
                  the input while it commits the entry to the spool (two
                  thirds of these rounds use -odq, so that posta often
                  exits 0 just before the kill)
  delivery rounds the message is written at once; the kill lands while
                  posta talks to the (slow) fault server, about its own
                  message or while it flushes other entries, or late, so
                  that posta often exits 0 first

Which kind of kill a round gets is fixed by its number, not drawn, and
the random times scale with how long an intake and a delivery take here
(measured first): every kind of round happens in every run, on a fast
build as on a slow one (ASan, a loaded machine). One round in five of
each kind waits for posta to finish.

Only the PIDs started here are killed. A round whose posta exited before
the kill records its exit status: 0 means "the message is safe".

Then the caller runs the queue (posta -q) and calls `crash.py --check`
with the same arguments, which reads the fault server's D/msgs and
asserts: every delivered message is intact (body hash matches) and has a
known token, every token whose posta exited 0 was delivered at least once,
and so was every token whose MAIL FROM the server saw (the entry was on
disk before the first delivery attempt, killed or not),
no posta exited non-zero by itself, and q/ tmp/ failed/ corrupt/ of the
spool are empty. Duplicates (a kill after the final dot and before the
entry was removed) are allowed and counted. Exit status 0 or 1.
"""
import argparse, hashlib, json, os, random, re, signal, subprocess, sys
import threading, time
from concurrent.futures import ThreadPoolExecutor

STATE = "crash-state.json"


def make_message(rng, token, size):
    lines = []
    n = 0
    while n < size:
        k = rng.random()
        if k < 0.03:
            line = "."				# a lone dot (we pass -i)
        elif k < 0.06:
            line = ".." + token			# stuffed on the wire
        elif k < 0.08:
            line = ""
        else:
            line = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ,-")
                           for _ in range(rng.randint(1, 120)))
        lines.append(line)
        n += len(line) + 1
    body = ("\n".join(lines) + "\n").encode()
    digest = hashlib.sha256(body).hexdigest()
    head = ("Subject: crash %s\nX-Crash-Token: %s\nX-Crash-Body-SHA256: %s\n\n"
            % (token, token, digest)).encode()
    return head + body, digest


# What each round does, by its number: intake rounds (even) and delivery
# rounds (odd) each cycle through these, so that every kind happens.
INTAKE_WAYS = ("mid", "mid", "edge", "edge", "complete")
DELIVERY_WAYS = ("early", "early", "early", "late", "complete")


def one_round(a, i, kind, rng_seed, cal):
    rng = random.Random(rng_seed)
    way = (INTAKE_WAYS if kind == "intake" else DELIVERY_WAYS)[(i // 2) % 5]
    token = "t%04d-%08x" % (i, rng.getrandbits(32))
    size = rng.randint(20000, 200000) if kind == "intake" else rng.randint(200, 20000)
    data, digest = make_message(rng, token, size)
    odq = kind == "intake" and rng.random() < 2 / 3
    errf = open(os.path.join(a.workdir, "err-%s" % token), "wb")
    p = subprocess.Popen([a.posta, "-i", "-C", a.conf] + (["-odq"] if odq else []) +
                         ["-f", "s-%s@example.com" % token, "r-%s@dest.test" % token],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errf)
    errf.close()
    fed = threading.Event()
    mid = {"killed": False}
    if kind == "intake":
        step = len(data) // rng.randint(4, 12) + 1
        offsets = range(0, len(data), step)
        pause = rng.uniform(0.001, 0.006)
        # "mid": the writer kills posta after this chunk, before the last
        kill_after = rng.randint(1, len(offsets) - 1) if way == "mid" else None

        def writer():
            try:
                for n, off in enumerate(offsets, 1):
                    p.stdin.write(data[off:off + step])
                    p.stdin.flush()
                    if n == kill_after:
                        mid["killed"] = True
                        os.kill(p.pid, signal.SIGKILL)
                        return
                    time.sleep(pause)
                p.stdin.close()
                fed.set()
            except (BrokenPipeError, OSError, ValueError):
                pass
        w = threading.Thread(target=writer)
        w.start()
        w.join()
        # after the input: the commit (-odq), or the commit and the delivery
        kill_at = rng.uniform(0, 1.5 * (cal["intake"] if odq else cal["delivery"]))
    else:
        w = None
        try:
            p.stdin.write(data)
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        fed.set()
        d = cal["delivery"]
        kill_at = (rng.uniform(0, d) if way == "early" else
                   rng.uniform(d, max(2.5, 3 * d)))
    if way == "complete":
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            pass
    else:
        time.sleep(kill_at)
    mid_intake = mid["killed"]
    if p.poll() is None:
        mid_intake = mid_intake or not fed.is_set()
        os.kill(p.pid, signal.SIGKILL)
    rc = p.wait()
    if w is not None:
        w.join()
    return {"token": token, "kind": kind, "way": way, "digest": digest, "rc": rc,
            "killed": rc == -signal.SIGKILL, "mid_intake": mid_intake, "odq": odq}


def timed_send(a, k, odq):
    data, _ = make_message(random.Random(k), "calib%d" % k, 5000)
    t0 = time.monotonic()
    p = subprocess.run([a.posta, "-i", "-C", a.conf] + (["-odq"] if odq else []) +
                       ["calib%d@dest.test" % k],
                       input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("calibration send failed: %d %s" % (p.returncode, p.stderr))
    return time.monotonic() - t0


def calibrate(a):
    """How long do an undisturbed -odq intake and foreground delivery take
    here? The rounds run several at once, so they take longer: an early
    kill (within this time) lands before posta is done."""
    return {"intake": sorted(timed_send(a, k, True) for k in range(3))[1],
            "delivery": sorted(timed_send(a, k, False) for k in range(3, 6))[1]}


def run(a):
    cal = calibrate(a)
    rng = random.Random(a.seed)
    plan = []
    for i in range(a.rounds):
        plan.append((i, "intake" if i % 2 == 0 else "delivery", rng.getrandbits(64)))
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        res = list(ex.map(lambda x: one_round(a, x[0], x[1], x[2], cal), plan))
    with open(os.path.join(a.workdir, STATE), "w") as f:
        json.dump({"calibration": cal, "results": res}, f)
    killed = {k: sum(1 for r in res if r["kind"] == k and r["killed"])
              for k in ("intake", "delivery")}
    ok = {k: sum(1 for r in res if r["kind"] == k and r["rc"] == 0)
          for k in ("intake", "delivery")}
    mid = sum(1 for r in res if r["mid_intake"])
    print("# %d rounds in %.1fs (intake takes %.0f ms, delivery %.0f ms): intake %d"
          " killed (%d before the end of the input), %d exited 0; delivery %d killed,"
          " %d exited 0"
          % (len(res), time.monotonic() - t0, cal["intake"] * 1000,
             cal["delivery"] * 1000, killed["intake"], mid, ok["intake"],
             killed["delivery"], ok["delivery"]))
    # the rounds must really have hit both phases, or the check is hollow;
    # the bar scales with the rounds (60 under ASan: 3 of each kind, where
    # a fixed 10 failed one run in a few by chance alone)
    need = max(3, a.rounds // 16)
    if mid < need or killed["delivery"] < need or ok["intake"] < need or ok["delivery"] < need:
        print("FAIL: too few rounds of some kind (want %d each); the timing is off here" % need)
        return 1
    return 0


def parse_eml(path):
    raw = open(path, "rb").read().replace(b"\r\n", b"\n")
    head, sep, body = raw.partition(b"\n\n")
    tok = re.search(rb"^X-Crash-Token: (\S+)$", head, re.M)
    dig = re.search(rb"^X-Crash-Body-SHA256: ([0-9a-f]+)$", head, re.M)
    return (tok.group(1).decode() if tok else None,
            dig.group(1).decode() if dig else None,
            hashlib.sha256(body).hexdigest(), bool(sep))


def check(a):
    st = json.load(open(os.path.join(a.workdir, STATE)))
    res = {r["token"]: r for r in st["results"]}
    problems = []
    delivered = {}
    mdir = os.path.join(a.fault_dir, "msgs")
    for name in sorted(os.listdir(mdir)):
        if not name.endswith(".eml"):
            continue
        tok, dig, actual, sep = parse_eml(os.path.join(mdir, name))
        if tok is None or tok.startswith("calib"):
            if tok is None:
                problems.append("%s: no token (a partial message?)" % name)
            continue
        if tok not in res:
            problems.append("%s: unknown token %s" % (name, tok))
            continue
        if not sep or dig != res[tok]["digest"] or actual != dig:
            problems.append("%s: message %s corrupt or partial (body sha256 %s, want %s)"
                            % (name, tok, actual, res[tok]["digest"]))
            continue
        delivered[tok] = delivered.get(tok, 0) + 1
    lost = [t for t, r in res.items() if r["rc"] == 0 and t not in delivered]
    for t in lost:
        problems.append("message %s: posta exited 0 (%s round) but it was never delivered"
                        % (t, res[t]["kind"]))
    seen = set(re.findall(rb"< MAIL FROM:<s-(t[0-9]{4}-[0-9a-f]{8})@example.com>",
                          open(os.path.join(a.fault_dir, "transcript"), "rb").read()))
    seen = {t.decode() for t in seen}
    for t in sorted(seen - set(delivered)):
        if t in res and res[t]["rc"] != 0:
            problems.append("message %s: the server saw its MAIL FROM (so it was queued),"
                            " posta was killed, and it was never delivered" % t)
    for t, r in res.items():
        if r["rc"] not in (0, -signal.SIGKILL):
            err = open(os.path.join(a.workdir, "err-%s" % t), "rb").read()
            problems.append("message %s: posta exited %d by itself: %r" % (t, r["rc"], err))
    for sub in ("q", "tmp", "failed", "corrupt"):
        left = os.listdir(os.path.join(a.spool, sub))
        if left:
            problems.append("%s/ not empty after the queue runs: %s" % (sub, " ".join(sorted(left)[:10])))
    dups = sum(1 for n in delivered.values() if n > 1)
    killed_delivered = sum(1 for t, r in res.items() if r["killed"] and t in delivered)
    print("# check: %d messages delivered intact (%d of them from killed rounds),"
          " %d duplicates, %d problems" % (len(delivered), killed_delivered, dups, len(problems)))
    for p in problems[:30]:
        print("FAIL: " + p)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posta", required=True)
    ap.add_argument("--conf", required=True)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--fault-dir", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--rounds", type=int, default=240)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    sys.exit(check(a) if a.check else run(a))


if __name__ == "__main__":
    main()
