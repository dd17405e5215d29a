#!/usr/bin/env python3
"""An HTTPS server that answers with exact bytes, for http.c's tests.

rawhttps.py CERT KEY DIR

Listens on 127.0.0.1 with a kernel-chosen port and prints it on stdout
(one line), then serves each connection in a thread: it reads one request
(head and Content-Length body), stores it byte-exact as DIR/req-N (N
counts from 1; DIR/last names the newest), and answers by the request
path:

  /length    200, Content-Length, JSON body
  /chunked   200, chunked in several writes, a chunk extension, a trailer
  /close     HTTP/1.0 200 without a length: the body ends at the close
  /continue  100 Continue, then 200 with Content-Length
  /error     400 with a Microsoft-style JSON error and Retry-After
  /big       200 with Content-Length larger than posta reads
  /silent    nothing, ever (the client must time out)
  /trickle   one byte of a status line every 0.2 s, forever

Anything else is 404. Exits when stdin reaches EOF, so the test that
started it cannot leave it behind.
"""
import os, socket, ssl, sys, threading, time

BODY = b'{"access_token":"at-1","token_type":"Bearer","expires_in":3599}'
ERROR = (b'{"error":"invalid_grant","error_description":"AADSTS70000: '
         b'bad grant","error_codes":[70000]}')
COUNT = [0]
LOCK = threading.Lock()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def answer(conn, path):
    if path == "/length":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY)
    elif path == "/chunked":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\n\r\n")
        parts = [BODY[:10], BODY[10:11], BODY[11:]]
        for i, part in enumerate(parts):
            ext = b";name=value" if i == 1 else b""
            time.sleep(0.05)
            conn.sendall(b"%x%s\r\n%s\r\n" % (len(part), ext, part))
        time.sleep(0.05)
        conn.sendall(b"0\r\nX-Trailer: yes\r\n\r\n")
    elif path == "/close":
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json"
                     b"\r\n\r\n" + BODY)
    elif path == "/continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        time.sleep(0.05)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                     % len(BODY) + BODY)
    elif path == "/error":
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nRetry-After: 120\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(ERROR) + ERROR)
    elif path == "/big":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n"
                     + b"x" * 70000)
    elif path == "/silent":
        time.sleep(60)
    elif path == "/trickle":
        while True:
            conn.sendall(b"H")
            time.sleep(0.2)
    else:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")


def serve(ctx, sock, outdir):
    try:
        conn = ctx.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError):
        sock.close()
        return
    try:
        req = read_request(conn)
        if req is None:
            return
        with LOCK:
            COUNT[0] += 1
            name = "req-%d" % COUNT[0]
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(req)
            with open(os.path.join(outdir, "last.tmp"), "w") as f:
                f.write(name + "\n")
            os.replace(os.path.join(outdir, "last.tmp"),
                       os.path.join(outdir, "last"))
        path = req.split(b" ", 2)[1].decode("ascii", "replace")
        answer(conn, path.split("?")[0])
    except (ssl.SSLError, OSError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    cert, key, outdir = sys.argv[1:4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print(lsock.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            sock, _ = lsock.accept()
            threading.Thread(target=serve, args=(ctx, sock, outdir),
                             daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
