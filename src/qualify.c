/* SPDX-License-Identifier: ISC */
/*
 * One pass of the address-list parser over the folded value: at each
 * bare local name, the text since the previous insertion point and
 * "@domain" are appended. If the parser then meets an error, what was
 * appended is dropped and the field stays as it came.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "qualify.h"

static const char *const fields[] = {
	"From",
	"Sender",
	"Reply-To",
	"To",
	"Cc",
	"Resent-From",
	"Resent-Sender",
	"Resent-Reply-To",
	"Resent-To",
	"Resent-Cc",
};

struct qctx {
	const char *value;
	const char *domain;
	struct buf *out;
	size_t done; /* value[0, done) is in out */
	int changed;
	int nomem;
};

int
qualify_field_is(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i]) == len &&
		    strncasecmp(fields[i], name, len) == 0)
			return 1;
	return 0;
}

static int
bare_cb(const char *addr, size_t lend, void *arg)
{
	struct qctx *q = arg;

	if (!addr_is_local(addr))
		return 0;
	if (buf_add(q->out, q->value + q->done, lend - q->done) == -1 ||
	    buf_addc(q->out, '@') == -1 || buf_adds(q->out, q->domain) == -1) {
		q->nomem = 1;
		return 1;
	}
	q->done = lend;
	q->changed = 1;
	return 0;
}

int
qualify_value(const char *value, size_t len, const char *domain,
    struct buf *out)
{
	struct qctx q;
	size_t mark = out->len;
	int rc;

	memset(&q, 0, sizeof(q));
	q.value = value;
	q.domain = domain;
	q.out = out;
	if (domain == NULL || domain[0] == '\0')
		return 0;
	rc = addr_list_walk(value, len, bare_cb, &q);
	if (q.nomem) {
		buf_truncate(out, mark);
		return -1;
	}
	if (rc != 0 || !q.changed) {
		buf_truncate(out, mark);
		return 0;
	}
	if (buf_add(out, value + q.done, len - q.done) == -1) {
		buf_truncate(out, mark);
		return -1;
	}
	return 1;
}
