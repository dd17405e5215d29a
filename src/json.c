/* SPDX-License-Identifier: ISC */
/*
 * Strict JSON reader: recursive descent over RFC 8259's grammar, with
 * the depth capped, taking only the named top-level members; see json.h.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "json.h"
#include "posta.h"

struct jp {
	const unsigned char *start, *p, *end;
	int depth;
	struct json_field *f;
	size_t nf;
	unsigned char seen[JSON_MAX_FIELDS];
	struct perr *err;
};

/*
 * Where decoded string bytes go: stored while they fit in cap, always
 * counted, so one pass can measure and a second one fill.
 */
struct sink {
	char *buf; /* NULL: count only */
	size_t cap;
	size_t len;
	int nul; /* a \u0000 was decoded */
};

static int jp_value(struct jp *);

static int
jp_fail_at(struct jp *j, const unsigned char *at, const char *what)
{
	return perr_set(j->err, EX_PROTOCOL, "JSON: %s at offset %zu", what,
	    (size_t)(at - j->start));
}

static int
jp_fail(struct jp *j, const char *what)
{
	return jp_fail_at(j, j->p, what);
}

/* A wanted member is unusable; name it (it is ours), never its value. */
static int
jp_bad(struct jp *j, const unsigned char *at, const struct json_field *f,
    const char *what)
{
	return perr_set(j->err, EX_PROTOCOL, "JSON: \"%s\" at offset %zu: %s",
	    f->name, (size_t)(at - j->start), what);
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end &&
	    (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void
sink_put(struct sink *s, const void *p, size_t n)
{
	/* len only grows: once past cap, nothing more is stored */
	if (s->buf != NULL && s->len <= s->cap && n <= s->cap - s->len)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* Code point cp (no surrogate, at most U+10FFFF) as UTF-8. */
static void
sink_cp(struct sink *s, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sink_put(s, u, n);
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629 4), or 0:
 * no overlong forms, no encoded surrogates, nothing past U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int
hex4(const unsigned char *p, unsigned long *v)
{
	unsigned int d;
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (is_digit(p[i]))
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* \uXXXX at j->p, with its low half when it is a high surrogate. */
static int
jp_unicode(struct jp *j, struct sink *s)
{
	const unsigned char *p = j->p;
	unsigned long cp, lo;

	if (j->end - p < 6 || hex4(p + 2, &cp) == -1)
		return jp_fail(j, "bad \\u escape");
	/* RFC 8259 8.2: a lone half has no character to stand for */
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return jp_fail(j, "unpaired surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
		    hex4(p + 8, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(j, "unpaired surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	if (cp == 0)
		s->nul = 1;
	sink_cp(s, cp);
	j->p = p + 6;
	return 0;
}

/* The string starting at j->p (its quote), decoded into s. */
static int
jp_string(struct jp *j, struct sink *s)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	size_t n;

	j->p++;
	for (;;) {
		if (j->p >= j->end)
			return jp_fail(j, "unterminated string");
		if (*j->p == '"') {
			j->p++;
			return 0;
		}
		if (*j->p < 0x20)
			return jp_fail(j, "control character in string");
		if (*j->p != '\\') {
			n = utf8_len(j->p, j->end);
			if (n == 0)
				return jp_fail(j, "bad UTF-8");
			sink_put(s, j->p, n);
			j->p += n;
			continue;
		}
		if (j->end - j->p < 2)
			return jp_fail(j, "unterminated string");
		if (j->p[1] == 'u') {
			if (jp_unicode(j, s) == -1)
				return -1;
			continue;
		}
		e = j->p[1] != '\0' ? strchr(from, j->p[1]) : NULL;
		if (e == NULL)
			return jp_fail(j, "bad escape");
		sink_put(s, &to[e - from], 1);
		j->p += 2;
	}
}

/* RFC 8259 6: -? (0 | [1-9][0-9]*) frac? exp?; *isint: neither frac nor exp. */
static int
jp_number(struct jp *j, int *isint)
{
	const unsigned char *p = j->p;

	*isint = 1;
	if (p < j->end && *p == '-')
		p++;
	if (p >= j->end || !is_digit(*p))
		return jp_fail(j, "bad number");
	if (*p == '0')
		p++;
	else
		while (p < j->end && is_digit(*p))
			p++;
	if (p < j->end && *p == '.') {
		*isint = 0;
		if (++p >= j->end || !is_digit(*p))
			return jp_fail_at(j, p, "bad number");
		while (p < j->end && is_digit(*p))
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		*isint = 0;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || !is_digit(*p))
			return jp_fail_at(j, p, "bad number");
		while (p < j->end && is_digit(*p))
			p++;
	}
	j->p = p;
	return 0;
}

/* The bytes [s, e) as an integer in JSON's grammar that fits a long long. */
static int
int_value(const unsigned char *s, const unsigned char *e, long long *v)
{
	unsigned long long acc = 0;
	unsigned int d;
	int neg = 0;

	if (s < e && *s == '-') {
		neg = 1;
		s++;
	}
	if (s == e || (*s == '0' && e - s > 1))
		return -1;
	for (; s < e; s++) {
		if (!is_digit(*s))
			return -1;
		d = *s - '0';
		if (acc > ((unsigned long long)LLONG_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	*v = neg ? -(long long)acc : (long long)acc;
	return 0;
}

static int
jp_literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jp_fail(j, "unexpected character");
	j->p += n;
	return 0;
}

/* A wanted member's value at j->p into f; null leaves it absent. */
static int
jp_take(struct jp *j, struct json_field *f)
{
	const unsigned char *at = j->p;
	struct sink s = { NULL, 0, 0, 0 };
	size_t max = f->max != 0 ? f->max : JSON_MAX_STRING;
	char num[32];
	int isint;

	if (*j->p == 'n')
		return jp_literal(j, "null");
	if (f->kind == JSON_STR) {
		if (*j->p != '"')
			return jp_bad(j, at, f, "not a string");
		if (jp_string(j, &s) == -1)
			return -1;
		if (s.nul)
			return jp_bad(j, at, f, "holds \\u0000");
		if (s.len > max)
			return jp_bad(j, at, f, "too long");
		/* measured first: one exact allocation, no copies to wipe */
		if ((f->str = malloc(s.len + 1)) == NULL)
			return perr_set(j->err, EX_OSERR,
			    "JSON: out of memory");
		s.buf = f->str;
		s.cap = s.len;
		s.len = 0;
		j->p = at;
		(void)jp_string(j, &s); /* it passed the first time */
		f->str[s.len] = '\0';
		f->len = s.len;
		f->found = 1;
		return 0;
	}
	/* some endpoints send "expires_in": "3600" */
	if (*j->p == '"') {
		s.buf = num;
		s.cap = sizeof(num);
		if (jp_string(j, &s) == -1)
			return -1;
		if (s.len > sizeof(num) ||
		    int_value((unsigned char *)num,
			(unsigned char *)num + s.len, &f->num) == -1)
			return jp_bad(j, at, f, "not an integer");
	} else if (*j->p == '-' || is_digit(*j->p)) {
		if (jp_number(j, &isint) == -1)
			return -1;
		if (!isint || int_value(at, j->p, &f->num) == -1)
			return jp_bad(j, at, f, "not an integer");
	} else
		return jp_bad(j, at, f, "not an integer");
	f->found = 1;
	return 0;
}

/* "name": value, taking the value when top is set and the name is wanted. */
static int
jp_member(struct jp *j, int top)
{
	char name[256];
	struct sink s = { NULL, 0, 0, 0 };
	const unsigned char *at = j->p;
	size_t i;

	if (top) {
		s.buf = name;
		s.cap = sizeof(name);
	}
	if (jp_string(j, &s) == -1)
		return -1;
	jp_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return jp_fail(j, "expected ':'");
	j->p++;
	jp_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "unexpected end");
	if (!top || s.len > sizeof(name))
		return jp_value(j);
	/* compared by length: a \u0000 inside a name cannot shorten it */
	for (i = 0; i < j->nf; i++)
		if (strlen(j->f[i].name) == s.len &&
		    memcmp(j->f[i].name, name, s.len) == 0)
			break;
	if (i == j->nf)
		return jp_value(j);
	/* RFC 8259 4: with a repeated name, readers disagree on the value */
	if (j->seen[i])
		return jp_bad(j, at, &j->f[i], "repeated");
	j->seen[i] = 1;
	return jp_take(j, &j->f[i]);
}

static int
jp_object(struct jp *j, int top)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return jp_fail(j, "nested too deeply");
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		jp_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return jp_fail(j, "expected a member name");
		if (jp_member(j, top) == -1)
			return -1;
		jp_ws(j);
		if (j->p >= j->end)
			return jp_fail(j, "unterminated object");
		if (*j->p == '}')
			break;
		if (*j->p != ',')
			return jp_fail(j, "expected ',' or '}'");
		j->p++;
	}
	j->p++;
	j->depth--;
	return 0;
}

static int
jp_array(struct jp *j)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return jp_fail(j, "nested too deeply");
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		jp_ws(j);
		if (jp_value(j) == -1)
			return -1;
		jp_ws(j);
		if (j->p >= j->end)
			return jp_fail(j, "unterminated array");
		if (*j->p == ']')
			break;
		if (*j->p != ',')
			return jp_fail(j, "expected ',' or ']'");
		j->p++;
	}
	j->p++;
	j->depth--;
	return 0;
}

/* Check and skip any value. */
static int
jp_value(struct jp *j)
{
	struct sink none = { NULL, 0, 0, 0 };
	int isint;

	if (j->p >= j->end)
		return jp_fail(j, "unexpected end");
	switch (*j->p) {
	case '{':
		return jp_object(j, 0);
	case '[':
		return jp_array(j);
	case '"':
		return jp_string(j, &none);
	case 't':
		return jp_literal(j, "true");
	case 'f':
		return jp_literal(j, "false");
	case 'n':
		return jp_literal(j, "null");
	default:
		if (*j->p == '-' || is_digit(*j->p))
			return jp_number(j, &isint);
		return jp_fail(j, "unexpected character");
	}
}

int
json_get(const void *doc, size_t len, struct json_field *fields, size_t n,
    struct perr *err)
{
	struct jp j;
	size_t i;
	int rc = -1;

	if (n > JSON_MAX_FIELDS)
		return perr_set(err, EX_SOFTWARE, "JSON: more than %d fields",
		    JSON_MAX_FIELDS);
	for (i = 0; i < n; i++) {
		fields[i].found = 0;
		fields[i].str = NULL;
		fields[i].len = 0;
		fields[i].num = 0;
	}
	if (len == 0)
		return perr_set(err, EX_PROTOCOL, "JSON: empty document");
	if (len > JSON_MAX_DOC)
		return perr_set(err, EX_PROTOCOL,
		    "JSON: document larger than %d bytes", JSON_MAX_DOC);
	memset(&j, 0, sizeof(j));
	j.start = j.p = doc;
	j.end = j.start + len;
	j.f = fields;
	j.nf = n;
	j.err = err;
	jp_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		jp_fail(&j, "expected an object");
		goto out;
	}
	if (jp_object(&j, 1) == -1)
		goto out;
	jp_ws(&j);
	if (j.p != j.end) {
		jp_fail(&j, "trailing bytes");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		json_fields_free(fields, n);
	return rc;
}

void
json_fields_free(struct json_field *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (fields[i].str != NULL) {
			explicit_bzero(fields[i].str, fields[i].len);
			free(fields[i].str);
		}
		fields[i].found = 0;
		fields[i].str = NULL;
		fields[i].len = 0;
		fields[i].num = 0;
	}
}
