/* SPDX-License-Identifier: ISC */
/*
 * RFC 5322 section 3.4 address lists, with the obsolete forms of
 * section 4.4, read by a small lexer and a loop-driven parser: no
 * allocation and no recursion, so hostile headers cost time linear in
 * their length and a fixed amount of stack.
 */
#include <stddef.h>
#include <string.h>

#include "posta.h"
#include "addr.h"
#include "util.h"

enum tok_type {
	T_END,
	T_ERR,
	T_ATOM, /* run of atext, UTF-8 bytes included */
	T_QSTR, /* "quoted string", quotes included */
	T_DLIT, /* [domain literal], brackets included */
	T_SPEC	/* one of < > @ , : ; . */
};

struct tok {
	enum tok_type type;
	int c;		   /* T_SPEC: the character */
	size_t start, end; /* [start, end) in the input */
};

struct lexer {
	const char *s;
	size_t len, pos;
	int want_comment; /* record the next comment's text */
	int has_comment;
	size_t cstart, cend; /* that text, without ( ) */
};

/* Output for one addr-spec; b == NULL discards (obsolete routes). */
struct obuf {
	char *b;
	size_t cap, len;
	int full;
	size_t lend; /* where the local part ended */
};

struct item {
	int group;	     /* "name:" opened a group */
	int angle;	     /* the mailbox was "<...>" */
	size_t dstart, dend; /* display name span, may be empty */
};

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Control characters that may never appear, whatever the context. */
static int
is_bad_ctl(int c)
{
	return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

static int
is_special(int c)
{
	switch (c) {
	case '<':
	case '>':
	case '@':
	case ',':
	case ':':
	case ';':
	case '.':
		return 1;
	default:
		return 0;
	}
}

/* RFC 5322 3.2.3 atext, plus bytes >= 0x80 for RFC 6532 (SMTPUTF8). */
static int
is_atext(int c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Skip one (possibly nested) comment; pos is on its '('. */
static int
skip_comment(struct lexer *lx)
{
	size_t depth = 0, start = lx->pos;
	int c;

	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos++];
		if (c == '\0' || is_bad_ctl(c))
			return -1;
		if (c == '\\') {
			if (lx->pos >= lx->len)
				return -1;
			c = (unsigned char)lx->s[lx->pos++];
			if (c == '\0' || is_bad_ctl(c))
				return -1;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			if (lx->want_comment && !lx->has_comment) {
				lx->has_comment = 1;
				lx->cstart = start + 1;
				lx->cend = lx->pos - 1;
			}
			return 0;
		}
	}
	return -1; /* unterminated */
}

static int
skip_cfws(struct lexer *lx)
{
	while (lx->pos < lx->len) {
		if (is_wsp((unsigned char)lx->s[lx->pos]))
			lx->pos++;
		else if (lx->s[lx->pos] == '(') {
			if (skip_comment(lx) == -1)
				return -1;
		} else
			break;
	}
	return 0;
}

/*
 * A quoted string: CR and LF are refused inside it, even escaped,
 * because a quoted local part goes into an SMTP command line.
 */
static enum tok_type
scan_quoted(struct lexer *lx)
{
	int c;

	lx->pos++;
	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos++];
		if (c == '\\') {
			if (lx->pos >= lx->len)
				return T_ERR;
			c = (unsigned char)lx->s[lx->pos++];
		} else if (c == '"')
			return T_QSTR;
		if (c == '\0' || c == '\r' || c == '\n' || is_bad_ctl(c))
			return T_ERR;
	}
	return T_ERR;
}

static enum tok_type
scan_literal(struct lexer *lx)
{
	int c;

	lx->pos++;
	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos++];
		if (c == ']')
			return T_DLIT;
		if (c == ' ' || c == '\t')
			continue;
		if (c < 0x21 || c == 0x7f || c == '[' || c == '\\')
			return T_ERR;
	}
	return T_ERR;
}

static void
lex(struct lexer *lx, struct tok *t)
{
	int c;

	t->c = 0;
	if (skip_cfws(lx) == -1) {
		t->type = T_ERR;
		return;
	}
	t->start = t->end = lx->pos;
	if (lx->pos >= lx->len) {
		t->type = T_END;
		return;
	}
	c = (unsigned char)lx->s[lx->pos];
	if (c == '"')
		t->type = scan_quoted(lx);
	else if (c == '[')
		t->type = scan_literal(lx);
	else if (is_special(c)) {
		t->type = T_SPEC;
		t->c = c;
		lx->pos++;
	} else if (is_atext(c)) {
		t->type = T_ATOM;
		while (lx->pos < lx->len &&
		    is_atext((unsigned char)lx->s[lx->pos]))
			lx->pos++;
	} else
		t->type = T_ERR;
	t->end = lx->pos;
}

static void
peek(struct lexer *lx, struct tok *t)
{
	size_t save = lx->pos;

	lex(lx, t);
	lx->pos = save;
}

static int
is_spec(const struct tok *t, int c)
{
	return t->type == T_SPEC && t->c == c;
}

static int
is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QSTR;
}

static void
ob_add(struct obuf *ob, const char *p, size_t n)
{
	if (ob->b == NULL || ob->full)
		return;
	if (n >= ob->cap - ob->len) {
		ob->full = 1;
		return;
	}
	memcpy(ob->b + ob->len, p, n);
	ob->len += n;
	ob->b[ob->len] = '\0';
}

/* Copy a token; white space inside a domain literal is folding, dropped. */
static void
ob_add_tok(struct obuf *ob, const struct lexer *lx, const struct tok *t)
{
	size_t i;

	if (t->type != T_DLIT) {
		ob_add(ob, lx->s + t->start, t->end - t->start);
		return;
	}
	for (i = t->start; i < t->end; i++)
		if (lx->s[i] != ' ' && lx->s[i] != '\t')
			ob_add(ob, lx->s + i, 1);
}

/* domain = dot-atom / domain-literal / obs-domain */
static int
parse_domain(struct lexer *lx, struct obuf *ob)
{
	struct tok t;

	lex(lx, &t);
	if (t.type == T_DLIT) {
		ob_add_tok(ob, lx, &t);
		return 0;
	}
	if (t.type != T_ATOM)
		return -1;
	ob_add_tok(ob, lx, &t);
	for (;;) {
		peek(lx, &t);
		if (!is_spec(&t, '.'))
			return 0;
		lex(lx, &t);
		lex(lx, &t);
		if (t.type != T_ATOM)
			return -1;
		ob_add(ob, ".", 1);
		ob_add_tok(ob, lx, &t);
	}
}

/* local-part ["@" domain]: the domain is optional for local names. */
static int
parse_addrspec(struct lexer *lx, struct obuf *ob)
{
	struct tok t;

	lex(lx, &t);
	if (!is_word(&t))
		return -1;
	ob_add_tok(ob, lx, &t);
	ob->lend = t.end;
	for (;;) {
		peek(lx, &t);
		if (!is_spec(&t, '.'))
			break;
		lex(lx, &t);
		lex(lx, &t);
		if (!is_word(&t))
			return -1;
		ob_add(ob, ".", 1);
		ob_add_tok(ob, lx, &t);
		ob->lend = t.end;
	}
	if (!is_spec(&t, '@'))
		return 0;
	lex(lx, &t);
	ob_add(ob, "@", 1);
	return parse_domain(lx, ob);
}

/* RFC 5322 4.4 obs-route "@a,@b:", read and thrown away. */
static int
parse_route(struct lexer *lx)
{
	struct tok t;
	struct obuf discard = { NULL, 0, 0, 0, 0 };
	int seen = 0;

	for (;;) {
		lex(lx, &t);
		if (is_spec(&t, ','))
			continue;
		if (is_spec(&t, ':') && seen)
			return 0;
		if (!is_spec(&t, '@') || parse_domain(lx, &discard) == -1)
			return -1;
		seen = 1;
	}
}

/* After '<': [obs-route] addr-spec '>' */
static int
parse_angle(struct lexer *lx, struct obuf *ob)
{
	struct tok t;

	peek(lx, &t);
	if ((is_spec(&t, '@') || is_spec(&t, ',')) && parse_route(lx) == -1)
		return -1;
	if (parse_addrspec(lx, ob) == -1)
		return -1;
	lex(lx, &t);
	return is_spec(&t, '>') ? 0 : -1;
}

/*
 * One list element: a group opener "phrase:", a name-addr
 * "[phrase] <addr-spec>", or a bare addr-spec. A phrase and a local
 * part both start with words, so scan the words first and let the
 * token after them decide; an addr-spec is then read again from the
 * start. That is one look-back per element, never more.
 */
static int
parse_item(struct lexer *lx, struct obuf *ob, struct item *it)
{
	struct tok t;
	size_t save = lx->pos;
	int nwords = 0;

	memset(it, 0, sizeof(*it));
	for (;;) {
		peek(lx, &t);
		if (is_word(&t)) {
			if (nwords++ == 0)
				it->dstart = t.start;
		} else if (!is_spec(&t, '.') || nwords == 0)
			break;
		it->dend = t.end;
		lex(lx, &t);
	}
	if (is_spec(&t, '<')) {
		lex(lx, &t);
		it->angle = 1;
		return parse_angle(lx, ob);
	}
	it->dstart = it->dend = 0;
	if (nwords == 0)
		return -1;
	if (is_spec(&t, ':')) {
		lex(lx, &t);
		it->group = 1;
		return 0;
	}
	lx->pos = save;
	return parse_addrspec(lx, ob);
}

/*
 * Does a name-addr "[phrase] <" or a group "phrase:" start here?
 * Scans without consuming.
 */
static int
angle_or_group_follows(struct lexer *lx)
{
	struct tok t;
	size_t save = lx->pos;
	int nwords = 0;

	for (;;) {
		lex(lx, &t);
		if (is_word(&t))
			nwords++;
		else if (!is_spec(&t, '.'))
			break;
	}
	lx->pos = save;
	return is_spec(&t, '<') || (is_spec(&t, ':') && nwords > 0);
}

/*
 * What may follow a mailbox or a group's ';': the end, a comma, the
 * group's ';', or, after an angle address or a group, a name-addr or
 * group with its comma forgotten. "<a@x> junk" stays an error: junk
 * is not taken for a local name.
 */
static int
separator_ok(struct lexer *lx, int angle, int ingroup)
{
	struct tok t;

	peek(lx, &t);
	if (t.type == T_END || is_spec(&t, ','))
		return 1;
	if (is_spec(&t, ';') && ingroup)
		return 1;
	return angle && angle_or_group_follows(lx);
}

struct plain_cb {
	int (*cb)(const char *, void *);
	void *arg;
};

static int
plain_cb(const char *addr, size_t lend, void *arg)
{
	struct plain_cb *p = arg;

	(void)lend;
	return p->cb(addr, p->arg);
}

int
addr_list_parse(const char *s, size_t len,
    int (*cb)(const char *addr, void *arg), void *arg)
{
	struct plain_cb p = { cb, arg };

	return addr_list_walk(s, len, plain_cb, &p);
}

int
addr_list_walk(const char *s, size_t len,
    int (*cb)(const char *addr, size_t lend, void *arg), void *arg)
{
	struct lexer lx = { s, len, 0, 0, 0, 0, 0 };
	struct tok t;
	struct item it;
	char buf[MAX_ADDR + 1];
	struct obuf ob;
	const char *why;
	int ingroup = 0, r;

	for (;;) {
		peek(&lx, &t);
		if (t.type == T_END)
			return 0; /* a group's missing ';' is forgiven */
		if (is_spec(&t, ',')) {
			lex(&lx, &t);
			continue;
		}
		if (is_spec(&t, ';')) {
			if (!ingroup)
				return -1;
			lex(&lx, &t);
			ingroup = 0;
			if (!separator_ok(&lx, 1, 0))
				return -1;
			continue;
		}
		ob.b = buf;
		ob.cap = sizeof(buf);
		ob.len = 0;
		ob.full = 0;
		ob.lend = 0;
		buf[0] = '\0';
		if (parse_item(&lx, &ob, &it) == -1 || ob.full)
			return -1;
		if (it.group) {
			if (ingroup)
				return -1; /* groups do not nest */
			ingroup = 1;
			continue;
		}
		if (!separator_ok(&lx, it.angle, ingroup))
			return -1;
		/* never hand on what could not go into RCPT TO */
		if (addr_check_envelope(buf, 0, &why) == -1)
			return -1;
		if ((r = cb(buf, ob.lend, arg)) != 0)
			return r;
	}
}

/* Copy s[start, end) without CR/LF (unfolding) and outer white space. */
static int
copy_display(char *out, size_t cap, const char *s, size_t start, size_t end)
{
	size_t n = 0;

	while (start < end && is_wsp((unsigned char)s[start]))
		start++;
	while (end > start && is_wsp((unsigned char)s[end - 1]))
		end--;
	if (cap == 0)
		return -1;
	for (; start < end; start++) {
		if (s[start] == '\r' || s[start] == '\n')
			continue;
		if (n + 1 >= cap) {
			out[0] = '\0';
			return -1;
		}
		out[n++] = s[start];
	}
	out[n] = '\0';
	return 0;
}

int
addr_mailbox_parse(const char *s, size_t len, char *display, size_t displaycap,
    char *addr, size_t addrcap)
{
	struct lexer lx = { s, len, 0, 0, 0, 0, 0 };
	struct tok t;
	struct item it;
	char buf[MAX_ADDR + 1];
	struct obuf ob = { buf, sizeof(buf), 0, 0, 0 };
	const char *why;

	buf[0] = '\0';
	if (parse_item(&lx, &ob, &it) == -1 || ob.full || it.group)
		return -1;
	/* "a@b (Name)": the first comment after the address is the name */
	lx.want_comment = !it.angle;
	lex(&lx, &t);
	if (t.type != T_END)
		return -1;
	if (addr_check_envelope(buf, 0, &why) == -1)
		return -1;
	if (xstrlcpy(addr, buf, addrcap) == -1)
		return -1;
	if (it.angle)
		return copy_display(display, displaycap, s, it.dstart, it.dend);
	if (lx.has_comment)
		return copy_display(display, displaycap, s, lx.cstart, lx.cend);
	return copy_display(display, displaycap, s, 0, 0);
}

int
addr_check_envelope(const char *s, int allow_null, const char **why)
{
	size_t i, n, nat = 0;
	int quoted = 0, esc = 0;
	unsigned char c;

	if (s == NULL || s[0] == '\0') {
		*why = "empty address (only the null sender may be empty)";
		return allow_null && s != NULL ? 0 : -1;
	}
	n = strlen(s);
	if (n > MAX_ADDR) {
		*why = "address longer than 998 octets";
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\r' || c == '\n') {
			*why = "line break (CR or LF) in address";
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control character in address";
			return -1;
		}
		if (esc)
			esc = 0;
		else if (quoted) {
			if (c == '\\')
				esc = 1;
			else if (c == '"')
				quoted = 0;
		} else if (c == '"')
			quoted = 1;
		else if (c == ' ') {
			*why = "unquoted white space in address";
			return -1;
		} else if (c == '<' || c == '>') {
			*why = "angle bracket in address";
			return -1;
		} else if (c == '@')
			nat++;
	}
	if (quoted) {
		*why = "unterminated quoted string in address";
		return -1;
	}
	if (nat > 1) {
		*why = "more than one unquoted @ in address";
		return -1;
	}
	if (s[0] == '@' || s[n - 1] == '@') {
		*why = "address starts or ends with @";
		return -1;
	}
	return 0;
}

int
addr_strip_angle(const char *s, char *out, size_t cap)
{
	size_t b = 0, e = strlen(s);

	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (b < e && s[b] == '<') {
		if (e - b < 2 || s[e - 1] != '>')
			return -1;
		b++;
		e--;
		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
	} else if (e > b && s[e - 1] == '>')
		return -1;
	if (cap == 0 || e - b >= cap)
		return -1;
	memcpy(out, s + b, e - b);
	out[e - b] = '\0';
	return 0;
}

int
addr_is_local(const char *addr)
{
	int quoted = 0, esc = 0;

	for (; *addr != '\0'; addr++) {
		if (esc)
			esc = 0;
		else if (quoted && *addr == '\\')
			esc = 1;
		else if (*addr == '"')
			quoted = !quoted;
		else if (*addr == '@' && !quoted)
			return 0;
	}
	return 1;
}

int
addr_is_utf8(const char *addr)
{
	for (; *addr != '\0'; addr++)
		if ((unsigned char)*addr >= 0x80)
			return 1;
	return 0;
}
