/* SPDX-License-Identifier: ISC */
/*
 * The transport against real sockets: tiny servers in forked children
 * on 127.0.0.1 for lines, timeouts and write coalescing, and
 * `openssl s_server` with a throw-away certificate for TLS.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"
#include "util.h"
#include "tap.h"

struct srv {
	pid_t	pid;
	int	port;
};

typedef void (*srv_fn)(int, const void *);

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A socket on 127.0.0.1 with a kernel-chosen port; listening when asked. */
static int
bind_local(int *port, int do_listen)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
	    (do_listen && listen(fd, 8) == -1)) {
		(void)close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Fork a child that accepts one connection and runs fn on it. */
static int
srv_start(struct srv *s, srv_fn fn, const void *arg)
{
	int lfd, cfd;

	lfd = bind_local(&s->port, 1);
	if (lfd == -1)
		return -1;
	s->pid = fork();
	if (s->pid == -1) {
		(void)close(lfd);
		return -1;
	}
	if (s->pid == 0) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd == -1)
			_exit(1);
		fn(cfd, arg);
		(void)close(cfd);
		_exit(0);
	}
	(void)close(lfd);
	return 0;
}

static int
srv_wait(struct srv *s)
{
	int status;

	if (waitpid(s->pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
srv_stop(struct srv *s)
{
	(void)kill(s->pid, SIGTERM);
	(void)srv_wait(s);
}

/* Read until the client closes, so that our close never races its reads. */
static void
drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Child: send the string in one write, then wait for the client to go. */
static void
srv_say(int fd, const void *arg)
{
	const char *s = arg;

	if (write_all(fd, s, strlen(s)) == -1)
		_exit(1);
	drain(fd);
}

static void
srv_hangup(int fd, const void *arg)
{
	(void)fd;
	(void)arg;
}

/* Child: "250-a" lines, one every 400 ms, until the client goes (at most 50). */
static void
srv_trickle(int fd, const void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 50; i++) {
		if (write_all(fd, "250-a\r\n", 7) == -1)
			return;
		msleep(400);
	}
}

/*
 * Child: report whether anything arrived while the client only queued
 * (quiet=1), how much the first read got and whether more followed.
 */
static void
srv_coalesce(int fd, const void *arg)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char buf[8192], rep[64];
	int quiet;
	ssize_t first, more;

	(void)arg;
	quiet = poll(&pfd, 1, 300) == 0;
	first = read(fd, buf, sizeof(buf));
	msleep(100);
	more = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	(void)xsnprintf(rep, sizeof(rep), "quiet=%d first=%zd more=%d\r\n",
	    quiet, first, more > 0);
	if (write_all(fd, rep, strlen(rep)) == -1)
		_exit(1);
	drain(fd);
}

/* Child: read exactly *arg bytes, answer "count sum". */
static void
srv_bulk(int fd, const void *arg)
{
	size_t want = *(const size_t *)arg, got = 0, i;
	unsigned long sum = 0;
	unsigned char buf[8192];
	char rep[64];
	ssize_t n;

	while (got < want) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			_exit(1);
		for (i = 0; i < (size_t)n; i++)
			sum = sum * 31 + buf[i];
		got += (size_t)n;
	}
	(void)xsnprintf(rep, sizeof(rep), "%zu %lu\n", got, sum);
	if (write_all(fd, rep, strlen(rep)) == -1)
		_exit(1);
	drain(fd);
}

static void
test_lines(void)
{
	struct perr err = { 0, "" };
	struct conn c;
	struct srv s;
	char line[16], want[32];
	ssize_t n;

	if (srv_start(&s, srv_say, "220 hello\r\n250 lf only\n"
	    "123456789012345\r\n1234567890123456\r\n") == -1) {
		ok(0, "server for lines");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect: %s",
	    err.msg);
	(void)xsnprintf(want, sizeof(want), "127.0.0.1:%d", s.port);
	is_str(c.peer, want, "peer is host:port");
	n = conn_getline(&c, line, sizeof(line), &err);
	is_int(n, 9, "CRLF line length");
	is_str(line, "220 hello", "CR LF removed");
	n = conn_getline(&c, line, sizeof(line), &err);
	is_str(line, "250 lf only", "bare LF ends a line too");
	is_int(n, 11, "LF line length");
	n = conn_getline(&c, line, sizeof(line), &err);
	is_int(n, 15, "a line of cap - 1 bytes fits");
	is_str(line, "123456789012345", "and is intact");
	n = conn_getline(&c, line, sizeof(line), &err);
	is_int(n, -1, "a line of cap bytes is refused");
	is_int(err.code, EX_PROTOCOL, "too long is EX_PROTOCOL");
	ok(strstr(err.msg, "line longer than 15 bytes") != NULL, "msg: %s",
	    err.msg);
	conn_close(&c);
	is_int(c.fd, -1, "closed");
	conn_close(&c);
	ok(1, "closing twice is a no-op");
	is_int(srv_wait(&s), 0, "line server done");
}

static void
test_long_line(void)
{
	struct perr err = { 0, "" };
	char big[20000], line[1025];
	struct conn c;
	struct srv s;

	memset(big, 'x', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	if (srv_start(&s, srv_say, big) == -1) {
		ok(0, "server for a long line");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect");
	is_int(conn_getline(&c, line, sizeof(line), &err), -1,
	    "20000-byte line refused with a 1025-byte buffer");
	is_int(err.code, EX_PROTOCOL, "long line is EX_PROTOCOL");
	conn_close(&c);
	is_int(srv_wait(&s), 0, "long line server done");
}

static void
test_timeout_eof(void)
{
	struct perr err = { 0, "" };
	struct conn c;
	struct srv s;
	char line[64];
	double t0, dt;

	if (srv_start(&s, srv_say, "") == -1) {
		ok(0, "silent server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 1, &err) == 0, "connect");
	t0 = mono_now();
	is_int(conn_getline(&c, line, sizeof(line), &err), -1,
	    "silence times out");
	dt = mono_now() - t0;
	ok(dt > 0.9 && dt < 2.0, "after about one second (%.2f s)", dt);
	is_int(err.code, EX_TEMPFAIL, "timeout is EX_TEMPFAIL");
	ok(strstr(err.msg, "timed out") != NULL, "msg: %s", err.msg);
	conn_close(&c);
	is_int(srv_wait(&s), 0, "silent server done");

	perr_clear(&err);
	if (srv_start(&s, srv_hangup, NULL) == -1) {
		ok(0, "hang-up server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect");
	is_int(conn_getline(&c, line, sizeof(line), &err), -1,
	    "EOF is an error");
	ok(strstr(err.msg, "closed") != NULL, "msg: %s", err.msg);
	conn_close(&c);
	is_int(srv_wait(&s), 0, "hang-up server done");
}

/* Each line comes within the timeout; the step as a whole must not. */
static void
test_step_deadline(void)
{
	struct perr err = { 0, "" };
	struct conn c;
	struct srv s;
	char line[64];
	double t0, dt;
	int n = 0;

	if (srv_start(&s, srv_trickle, NULL) == -1) {
		ok(0, "trickling server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 1, &err) == 0, "connect");
	t0 = mono_now();
	conn_step(&c);
	while (n < 10 && conn_getline(&c, line, sizeof(line), &err) >= 0)
		n++;
	dt = mono_now() - t0;
	ok(n >= 2 && n < 10, "lines read in one step: %d", n);
	ok(dt > 0.9 && dt < 1.6, "the step ends after its timeout (%.2f s)",
	    dt);
	ok(strstr(err.msg, "timed out") != NULL, "msg: %s", err.msg);
	perr_clear(&err);
	conn_step(&c);
	ok(conn_getline(&c, line, sizeof(line), &err) >= 0,
	    "a new step gets a new timeout: %s", err.msg);
	conn_close(&c);
	is_int(srv_wait(&s), 0, "trickling server done");
}

/*
 * With a limit (a foreground delivery's time budget) a wait ends there,
 * however long the step's timeout, and the message says it was the
 * budget; a new step gets no more time.
 */
static void
test_limit(void)
{
	struct tls_params tp = { .servername = "localhost" };
	struct perr err = { 0, "" };
	struct conn c;
	struct srv s;
	char line[64];
	double t0, dt;

	if (srv_start(&s, srv_trickle, NULL) == -1) {
		ok(0, "trickling server");
		return;
	}
	t0 = mono_now();
	ok(conn_open_until(&c, "127.0.0.1", s.port, 60, t0 + 0.7,
	    &err) == 0, "connect within the limit");
	conn_step(&c);
	while (conn_getline(&c, line, sizeof(line), &err) >= 0)
		conn_step(&c);
	dt = mono_now() - t0;
	ok(dt > 0.6 && dt < 1.2, "the limit ends the wait, not the 60 s "
	    "timeout (%.2f s)", dt);
	is_int(err.code, EX_TEMPFAIL, "EX_TEMPFAIL");
	ok(strstr(err.msg, "time budget of the delivery (send_timeout) "
	    "exhausted") != NULL, "msg: %s", err.msg);
	ok(conn_limit_passed(&c) && conn_timed_out(&c), "limit passed, "
	    "timed out");
	perr_clear(&err);
	conn_step(&c);
	is_int((int)conn_getline(&c, line, sizeof(line), &err), -1,
	    "no new step past the limit");
	conn_close(&c);
	is_int(srv_wait(&s), 0, "trickling server done");

	perr_clear(&err);
	if (srv_start(&s, srv_say, "") == -1) {
		ok(0, "silent TLS server");
		return;
	}
	t0 = mono_now();
	ok(conn_open_until(&c, "127.0.0.1", s.port, 60, t0 + 0.5,
	    &err) == 0, "connect");
	is_int(conn_start_tls(&c, &tp, &err), -1, "silent handshake fails");
	dt = mono_now() - t0;
	ok(dt > 0.4 && dt < 1.0, "at the limit (%.2f s)", dt);
	ok(strstr(err.msg, "TLS handshake: time budget") != NULL, "msg: %s",
	    err.msg);
	conn_close(&c);
	is_int(srv_wait(&s), 0, "silent TLS server done");

	/* a limit already passed: not even a connection attempt */
	perr_clear(&err);
	is_int(conn_open_until(&c, "127.0.0.1", 9, 60, mono_now() - 1, &err),
	    -1, "connect past the limit");
	ok(strstr(err.msg, "connect: time budget") != NULL, "msg: %s",
	    err.msg);
}

static void
test_coalesce(void)
{
	static const char *cmds[] = { "MAIL FROM:<a@example.com>\r\n",
	    "RCPT TO:<b@example.com>\r\n", "RCPT TO:<c@example.com>\r\n",
	    "DATA\r\n" };
	struct perr err = { 0, "" };
	char line[128], want[64];
	struct conn c;
	struct srv s;
	size_t i, total = 0;

	if (srv_start(&s, srv_coalesce, NULL) == -1) {
		ok(0, "coalescing server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect");
	for (i = 0; i < nitems(cmds); i++) {
		ok(conn_write(&c, cmds[i], strlen(cmds[i]), &err) == 0,
		    "queue %zu", i);
		total += strlen(cmds[i]);
	}
	msleep(500);
	ok(conn_getline(&c, line, sizeof(line), &err) > 0, "report: %s",
	    err.msg);
	(void)xsnprintf(want, sizeof(want), "quiet=1 first=%zu more=0", total);
	is_str(line, want, "queued commands left in one write");
	conn_close(&c);
	is_int(srv_wait(&s), 0, "coalescing server done");
}

static void
test_bulk(void)
{
	static unsigned char data[300000];
	struct perr err = { 0, "" };
	size_t want = sizeof(data), i;
	unsigned long sum = 0;
	char line[128], exp[64];
	struct conn c;
	struct srv s;

	for (i = 0; i < sizeof(data); i++) {
		data[i] = (unsigned char)(i * 7 + i / 251);
		sum = sum * 31 + data[i];
	}
	if (srv_start(&s, srv_bulk, &want) == -1) {
		ok(0, "bulk server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect");
	/* small, buffer-crossing, larger than the buffer, tail */
	ok(conn_write(&c, data, 100, &err) == 0 &&
	    conn_write(&c, data + 100, 65500, &err) == 0 &&
	    conn_write(&c, data + 65600, 200000, &err) == 0 &&
	    conn_write(&c, data + 265600, sizeof(data) - 265600, &err) == 0,
	    "bulk writes");
	ok(conn_getline(&c, line, sizeof(line), &err) > 0, "bulk report");
	(void)xsnprintf(exp, sizeof(exp), "%zu %lu", sizeof(data), sum);
	is_str(line, exp, "every byte arrived, in order");
	conn_close(&c);
	is_int(srv_wait(&s), 0, "bulk server done");
}

static void
test_connect_errors(void)
{
	struct perr err = { 0, "" };
	char want[128];
	struct conn c;
	int fd, port;

	/* bound but not listening: nobody else can take the port meanwhile */
	fd = bind_local(&port, 0);
	ok(fd != -1, "unused port");
	ok(conn_open(&c, "127.0.0.1", port, 5, &err) == -1, "refused");
	is_int(err.code, EX_TEMPFAIL, "refused is EX_TEMPFAIL");
	(void)xsnprintf(want, sizeof(want),
	    "127.0.0.1:%d: connect: Connection refused", port);
	is_str(err.msg, want, "refused message");
	is_int(c.fd, -1, "no fd after failure");
	conn_close(&c);
	(void)close(fd);

	perr_clear(&err);
	ok(conn_open(&c, "no-such-host.invalid", 25, 5, &err) == -1,
	    "unresolvable name");
	if (err.code == EX_TEMPFAIL && strstr(err.msg, "Temporary") != NULL)
		printf("# no resolver here: %s\n", err.msg);
	else {
		is_int(err.code, EX_NOHOST, "unresolvable is EX_NOHOST");
		ok(strncmp(err.msg, "no-such-host.invalid: cannot resolve: ",
		    38) == 0, "msg: %s", err.msg);
	}
	perr_clear(&err);
	ok(conn_open(&c, "127.0.0.1", 0, 5, &err) == -1, "port 0 refused");
	perr_clear(&err);
}

static void
test_starttls_injection(void)
{
	struct perr err = { 0, "" };
	struct tls_params tp = { .servername = "localhost" };
	struct conn c;
	struct srv s;
	char line[128];

	if (srv_start(&s, srv_say, "220 ready to start TLS\r\n"
	    "250 injected in clear text\r\n") == -1) {
		ok(0, "injecting server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect");
	msleep(100);
	ok(conn_getline(&c, line, sizeof(line), &err) > 0 &&
	    strcmp(line, "220 ready to start TLS") == 0, "STARTTLS reply");
	is_int(conn_start_tls(&c, &tp, &err), -1,
	    "data after the STARTTLS reply refused");
	is_int(err.code, EX_PROTOCOL, "injection is EX_PROTOCOL");
	ok(strstr(err.msg, "unexpected data after STARTTLS reply") != NULL,
	    "msg: %s", err.msg);
	is_int(conn_is_tls(&c), 0, "still not TLS");
	is_str(conn_tls_describe(&c), "", "no TLS description");
	conn_abandon(&c);
	is_int(c.fd, -1, "abandoned");
	is_int(srv_wait(&s), 0, "injecting server done");
}

/* A handshake against a server that never answers is bounded too. */
static void
test_tls_timeout(void)
{
	struct perr err = { 0, "" };
	struct tls_params tp = { .servername = "localhost" };
	struct conn c;
	struct srv s;
	double t0, dt;

	if (srv_start(&s, srv_say, "") == -1) {
		ok(0, "silent TLS server");
		return;
	}
	ok(conn_open(&c, "127.0.0.1", s.port, 1, &err) == 0, "connect");
	t0 = mono_now();
	is_int(conn_start_tls(&c, &tp, &err), -1, "silent handshake fails");
	dt = mono_now() - t0;
	ok(dt > 0.9 && dt < 2.0, "after about one second (%.2f s)", dt);
	is_int(err.code, EX_TEMPFAIL, "handshake timeout is EX_TEMPFAIL");
	is_str(err.msg, "TLS handshake with localhost: timed out",
	    "handshake timeout message");
	conn_close(&c);
	is_int(srv_wait(&s), 0, "silent TLS server done");

	perr_clear(&err);
	if (srv_start(&s, srv_say, "220 plain text, not TLS\r\n") == -1)
		return;
	ok(conn_open(&c, "127.0.0.1", s.port, 5, &err) == 0, "connect");
	is_int(conn_start_tls(&c, &tp, &err), -1, "plain server refused");
	ok(strncmp(err.msg, "TLS handshake with localhost: ", 30) == 0,
	    "msg: %s", err.msg);
	conn_close(&c);
	is_int(srv_wait(&s), 0, "plain server done");
}

/* Run argv with stdout into out (may be NULL); returns the exit status. */
static int
run(const char *const argv[], char *out, size_t cap)
{
	int p[2], status, devnull;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p) == -1)
		return -1;
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull == -1 || dup2(p[1], 1) == -1 ||
		    dup2(devnull, 2) == -1 || dup2(devnull, 0) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)close(p[1]);
	while (out != NULL && len + 1 < cap &&
	    (n = read(p[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	if (out != NULL)
		out[len] = '\0';
	drain(p[0]);
	(void)close(p[0]);
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "sha256 Fingerprint=AB:CD:..." -> 32 bytes */
static int
parse_fp(const char *s, unsigned char pin[32])
{
	unsigned int b;
	int i;

	s = strchr(s, '=');
	if (s == NULL)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 1 + 3 * i, "%2x", &b) != 1)
			return -1;
		pin[i] = (unsigned char)b;
	}
	return 0;
}

/* Connect to s_server (retrying while it starts) and switch to TLS. */
static int
tls_connect(struct conn *c, int port, const char *name, const char *ca,
    const unsigned char *pin, struct perr *err)
{
	struct tls_params tp;
	int i;

	for (i = 0; i < 100; i++) {
		perr_clear(err);
		if (conn_open(c, "127.0.0.1", port, 3, err) == 0)
			break;
		msleep(50);
	}
	if (c->fd == -1)
		return -1;
	memset(&tp, 0, sizeof(tp));
	tp.servername = name;
	tp.ca_file = ca;
	tp.pin = pin;
	if (conn_start_tls(c, &tp, err) == -1) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static void
test_tls(void)
{
	char dir[] = "/tmp/t_conn.XXXXXX";
	char cert[64], key[64], portarg[32], fp[256], line[128];
	unsigned char pin[32];
	struct perr err = { 0, "" };
	struct conn c;
	struct srv s;
	double t0, dt;
	int port, fd;

	if (mkdtemp(dir) == NULL) {
		ok(0, "temporary directory");
		return;
	}
	(void)xsnprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	(void)xsnprintf(key, sizeof(key), "%s/key.pem", dir);
	{
		const char *req[] = { "openssl", "req", "-x509", "-newkey", "ec",
		    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		    "-keyout", key, "-out", cert, "-days", "2", "-subj",
		    "/CN=localhost", "-addext",
		    "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL };
		const char *x509[] = { "openssl", "x509", "-in", cert, "-noout",
		    "-fingerprint", "-sha256", NULL };

		if (run(req, NULL, 0) != 0) {
			printf("# skip TLS tests: openssl req failed\n");
			goto out;
		}
		ok(run(x509, fp, sizeof(fp)) == 0 && parse_fp(fp, pin) == 0,
		    "certificate fingerprint");
	}

	fd = bind_local(&port, 0);
	if (fd == -1) {
		ok(0, "port for s_server");
		goto out;
	}
	(void)close(fd);
	(void)xsnprintf(portarg, sizeof(portarg), "127.0.0.1:%d", port);
	s.port = port;
	s.pid = fork();
	if (s.pid == -1) {
		ok(0, "fork s_server");
		goto out;
	}
	if (s.pid == 0) {
		const char *sv[] = { "openssl", "s_server", "-accept", portarg,
		    "-cert", cert, "-key", key, "-quiet", "-rev", NULL };
		int dn = open("/dev/null", O_RDWR);

		if (dn == -1 || dup2(dn, 0) == -1 || dup2(dn, 1) == -1 ||
		    dup2(dn, 2) == -1)
			_exit(127);
		execvp(sv[0], (char *const *)sv);
		_exit(127);
	}

	ok(tls_connect(&c, port, "localhost", NULL, NULL, &err) == -1,
	    "self-signed refused with the system store");
	is_int(err.code, EX_TEMPFAIL, "verify failure is EX_TEMPFAIL");
	ok(strncmp(err.msg, "TLS handshake with localhost: certificate verify"
	    " failed: ", 56) == 0, "msg: %s", err.msg);

	ok(tls_connect(&c, port, "localhost", cert, NULL, &err) == 0,
	    "accepted with ca_file: %s", err.msg);
	is_int(conn_is_tls(&c), 1, "conn is TLS");
	ok(strncmp(conn_tls_describe(&c), "TLSv1.", 6) == 0 &&
	    strchr(conn_tls_describe(&c), ' ') != NULL, "describe: %s",
	    conn_tls_describe(&c));
	ok(conn_write(&c, "hello\r\n", 7, &err) == 0, "write over TLS");
	ok(conn_getline(&c, line, sizeof(line), &err) == 5, "read over TLS");
	is_str(line, "olleh", "s_server -rev echoed reversed");
	c.timeout = 1;
	t0 = mono_now();
	conn_step(&c);
	is_int(conn_getline(&c, line, sizeof(line), &err), -1,
	    "TLS read times out");
	dt = mono_now() - t0;
	ok(dt > 0.9 && dt < 1.6, "after the step's timeout (%.2f s)", dt);
	ok(strstr(err.msg, "timed out") != NULL, "msg: %s", err.msg);
	conn_close(&c);
	perr_clear(&err);

	ok(tls_connect(&c, port, "127.0.0.1", cert, NULL, &err) == 0,
	    "IP literal checked against the IP SAN: %s", err.msg);
	conn_close(&c);
	perr_clear(&err);

	ok(tls_connect(&c, port, "wrong.example.com", cert, NULL, &err) == -1,
	    "wrong host name refused");
	is_str(err.msg, "TLS handshake with wrong.example.com: certificate "
	    "verify failed: hostname mismatch", "host mismatch message");
	perr_clear(&err);

	ok(tls_connect(&c, port, "127.0.0.2", cert, NULL, &err) == -1,
	    "wrong IP refused");
	ok(strstr(err.msg, "IP address mismatch") != NULL, "msg: %s", err.msg);
	perr_clear(&err);

	ok(tls_connect(&c, port, "wrong.example.com", NULL, pin, &err) == 0,
	    "pin alone decides: %s", err.msg);
	ok(conn_write(&c, "pinned\n", 7, &err) == 0 &&
	    conn_getline(&c, line, sizeof(line), &err) == 6 &&
	    strcmp(line, "dennip") == 0, "data over a pinned session");
	conn_close(&c);
	perr_clear(&err);

	pin[31] ^= 1;
	ok(tls_connect(&c, port, "localhost", cert, pin, &err) == -1,
	    "other pin refused even with a valid chain");
	is_str(err.msg, "TLS handshake with localhost: certificate "
	    "fingerprint mismatch", "pin mismatch message");
	is_int(err.code, EX_TEMPFAIL, "pin mismatch is EX_TEMPFAIL");
	perr_clear(&err);

	ok(tls_connect(&c, port, NULL, cert, NULL, &err) == -1,
	    "no server name and no pin refused");
	is_int(err.code, EX_SOFTWARE, "no server name is EX_SOFTWARE");
	perr_clear(&err);

	ok(tls_connect(&c, port, "localhost", "/nonexistent/ca.pem", NULL,
	    &err) == -1, "missing ca_file");
	is_int(err.code, EX_CONFIG, "missing ca_file is EX_CONFIG");
	perr_clear(&err);

	/* a child that inherited the session frees it without a word */
	ok(tls_connect(&c, port, "localhost", cert, NULL, &err) == 0,
	    "connect to abandon");
	conn_abandon(&c);
	is_int(c.fd, -1, "abandoned TLS conn");

	srv_stop(&s);
out:
	(void)unlink(cert);
	(void)unlink(key);
	(void)rmdir(dir);
}

int
main(void)
{
	/* TLS writes go through write(2): a closed peer must not kill us */
	(void)signal(SIGPIPE, SIG_IGN);
	test_lines();
	test_long_line();
	test_timeout_eof();
	test_step_deadline();
	test_limit();
	test_coalesce();
	test_bulk();
	test_connect_errors();
	test_starttls_injection();
	test_tls_timeout();
	test_tls();
	return done_testing();
}
