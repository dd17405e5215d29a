#!/usr/bin/python3
# Pipe(8) delivery agent of the test bed: store each message, byte for
# byte as Postfix hands it over, per recipient.
#
#   capture.py CAPDIR sender=S recipient=R orig=O size=N sasl=U
#              proto=P helo=H queue=Q
#
# Writes CAPDIR/<recipient>/<n>.env first and <n>.eml last, so a reader
# that counts *.eml files always finds the matching .env.  Numbers start
# at 1 and are taken with link(2), which is atomic, because pipe(8) runs
# several deliveries at once.  Exit status 75 (EX_TEMPFAIL) makes Postfix
# retry, so a hiccup here never loses a message.
import os
import sys

EX_TEMPFAIL = 75


def safe_name(rcpt):
    # Recipient as directory name: keep it readable, only defuse what the
    # file system cannot hold or would misread.
    name = rcpt.replace("/", "_").replace("\0", "_")
    if name in ("", ".", "..") or name.startswith("."):
        name = "_" + name
    return name


def main():
    if len(sys.argv) < 3:
        return EX_TEMPFAIL
    capdir = sys.argv[1]
    meta = {}
    for arg in sys.argv[2:]:
        key, _, val = arg.partition("=")
        meta[key] = val
    data = sys.stdin.buffer.read()

    rdir = os.path.join(capdir, safe_name(meta.get("recipient", "")))
    os.makedirs(rdir, mode=0o755, exist_ok=True)
    tag = "%d" % os.getpid()
    tmp_eml = os.path.join(rdir, ".tmp." + tag + ".eml")
    tmp_env = os.path.join(rdir, ".tmp." + tag + ".env")
    with open(tmp_eml, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    env = ("sender %s\nrecipient %s\nsize %d\norig_recipient %s\n"
           "queue_size %s\nsasl_username %s\nprotocol %s\nhelo %s\n"
           "queue_id %s\n") % (
        meta.get("sender", ""), meta.get("recipient", ""), len(data),
        meta.get("orig", ""), meta.get("size", ""), meta.get("sasl", ""),
        meta.get("proto", ""), meta.get("helo", ""), meta.get("queue", ""))
    with open(tmp_env, "wb") as f:
        f.write(env.encode("utf-8", "surrogateescape"))

    n = len([x for x in os.listdir(rdir) if x.endswith(".env")
             and not x.startswith(".")]) + 1
    while True:
        try:
            os.link(tmp_env, os.path.join(rdir, "%d.env" % n))
            break
        except FileExistsError:
            n += 1
    os.rename(tmp_eml, os.path.join(rdir, "%d.eml" % n))
    os.unlink(tmp_env)
    with open(os.path.join(capdir, ".log"), "a") as f:
        f.write("%s %s %d\n" % (meta.get("queue", "-"),
                                safe_name(meta.get("recipient", "")), n))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # any failure: let Postfix retry
        sys.stderr.write("capture: %s\n" % e)
        sys.exit(EX_TEMPFAIL)
