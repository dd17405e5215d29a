/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for json.c: token-endpoint replies as Microsoft and Google
 * send them, a service-account key file, escapes, limits, and rejects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "json.h"
#include "posta.h"
#include "tap.h"

enum { F_ACCESS, F_REFRESH, F_EXPIRES, F_TYPE, F_ERROR, F_DESC, F_INTERVAL,
    NF };

static void
fields_init(struct json_field *f)
{
	static const struct {
		const char	*name;
		enum json_kind	 kind;
	} spec[NF] = {
		{ "access_token", JSON_STR }, { "refresh_token", JSON_STR },
		{ "expires_in", JSON_INT }, { "token_type", JSON_STR },
		{ "error", JSON_STR }, { "error_description", JSON_STR },
		{ "interval", JSON_INT },
	};
	int i;

	memset(f, 0, NF * sizeof(*f));
	for (i = 0; i < NF; i++) {
		f[i].name = spec[i].name;
		f[i].kind = spec[i].kind;
	}
}

/* json_get on a C string with the usual fields; returns its result. */
static int
get(const char *doc, struct json_field *f, struct perr *err)
{
	fields_init(f);
	perr_clear(err);
	return json_get(doc, strlen(doc), f, NF, err);
}

/* A document that must be refused, with a word expected in the message. */
static void
refused(const char *doc, size_t len, const char *want, const char *name)
{
	struct json_field f[NF];
	struct perr err;
	size_t i;
	int all_reset = 1;

	fields_init(f);
	perr_clear(&err);
	if (!ok(json_get(doc, len, f, NF, &err) == -1, "refused: %s", name))
		return;
	is_int(err.code, EX_PROTOCOL, "%s: EX_PROTOCOL", name);
	if (!ok(strstr(err.msg, want) != NULL, "%s: msg %s", name, err.msg))
		fprintf(stderr, "#   want \"%s\" in it\n", want);
	for (i = 0; i < NF; i++)
		if (f[i].found || f[i].str != NULL)
			all_reset = 0;
	ok(all_reset, "%s: fields reset", name);
}

/* The document as a test name: one line of printable ASCII. */
static void
refuse(const char *doc, const char *want)
{
	char name[64];
	size_t i;

	for (i = 0; doc[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = doc[i] < 0x20 || doc[i] > 0x7e ? '.' : doc[i];
	name[i] = '\0';
	refused(doc, strlen(doc), want, name);
}

/* Microsoft identity platform v2.0 replies, as documented and observed. */
static void
test_microsoft(void)
{
	struct json_field f[NF];
	struct perr err;
	struct buf doc, tok;
	int i;

	buf_init(&tok, 4096);
	for (i = 0; i < 2000; i++)
		(void)buf_addc(&tok, "abcdefghijklmnopqrstuvwxyz-_.0123"[i % 33]);
	buf_init(&doc, JSON_MAX_DOC);
	(void)buf_printf(&doc, "{\"token_type\":\"Bearer\",\"scope\":"
	    "\"https://outlook.office.com/SMTP.Send\",\"expires_in\":3599,"
	    "\"ext_expires_in\":3599,\"access_token\":\"%s\","
	    "\"refresh_token\":\"0.AXoA-rt\"}", buf_str(&tok));
	ok(get(buf_str(&doc), f, &err) == 0, "Microsoft success: %s", err.msg);
	ok(f[F_ACCESS].found && f[F_ACCESS].len == 2000 &&
	    strcmp(f[F_ACCESS].str, buf_str(&tok)) == 0, "2 KB access token");
	is_str(f[F_REFRESH].str, "0.AXoA-rt", "rotated refresh token");
	ok(f[F_EXPIRES].found && f[F_EXPIRES].num == 3599, "expires_in");
	is_str(f[F_TYPE].str, "Bearer", "token_type");
	ok(!f[F_ERROR].found && f[F_ERROR].str == NULL, "no error member");
	ok(!f[F_INTERVAL].found, "no interval member");
	json_fields_free(f, NF);
	ok(f[F_ACCESS].str == NULL && !f[F_ACCESS].found, "freed and reset");

	ok(get("{\"error\":\"invalid_grant\",\"error_description\":"
	    "\"AADSTS70000: The provided value for the 'code' parameter is "
	    "not valid.\\r\\nTrace ID: 0e5c\\r\\nTimestamp: 2026-12-01 "
	    "10:00:00Z\",\"error_codes\":[70000,9002313],\"timestamp\":"
	    "\"2026-12-01 10:00:00Z\",\"trace_id\":\"0e5c\",\"correlation_id\":"
	    "\"8c1f\",\"error_uri\":\"https://login.microsoftonline.com/error"
	    "?code=70000\",\"suberror\":\"bad_token\",\"claims\":null}", f,
	    &err) == 0, "Microsoft error with error_codes array: %s", err.msg);
	is_str(f[F_ERROR].str, "invalid_grant", "error");
	ok(f[F_DESC].found && strncmp(f[F_DESC].str, "AADSTS70000: ", 13) == 0 &&
	    strstr(f[F_DESC].str, "valid.\r\nTrace ID: 0e5c\r\n") != NULL,
	    "error_description with CR LF unescaped");
	ok(!f[F_ACCESS].found, "no token in an error");
	json_fields_free(f, NF);

	ok(get("{\"user_code\":\"FJ2KQWXZ\",\"device_code\":\"DAQABAAEAAAD\","
	    "\"verification_uri\":\"https://microsoft.com/devicelogin\","
	    "\"expires_in\":900,\"interval\":5,\"message\":\"To sign in, use a "
	    "web browser to open the page https://microsoft.com/devicelogin "
	    "and enter the code FJ2KQWXZ to authenticate.\"}", f, &err) == 0,
	    "Microsoft device authorization reply");
	ok(f[F_EXPIRES].num == 900 && f[F_INTERVAL].num == 5,
	    "expires_in and interval");
	json_fields_free(f, NF);

	ok(get("{\"error\":\"authorization_pending\",\"error_description\":"
	    "\"AADSTS70016: OAuth 2.0 device flow error.\",\"error_codes\":"
	    "[70016],\"timestamp\":\"x\",\"trace_id\":\"t\",\"correlation_id\":"
	    "\"c\",\"error_uri\":\"https://login.microsoftonline.com/error?code"
	    "=70016\"}", f, &err) == 0, "device flow pending");
	is_str(f[F_ERROR].str, "authorization_pending", "pending");
	json_fields_free(f, NF);
	buf_free(&doc);
	buf_wipe(&tok);
}

static void
test_google(void)
{
	struct json_field f[NF];
	struct perr err;

	ok(get("{\n  \"access_token\": \"ya29.a0AfB_byC\",\n  \"expires_in\": "
	    "3599,\n  \"scope\": \"https://mail.google.com/\",\n  \"token_type\""
	    ": \"Bearer\"\n}", f, &err) == 0, "Google success: %s", err.msg);
	is_str(f[F_ACCESS].str, "ya29.a0AfB_byC", "access token");
	ok(!f[F_REFRESH].found, "no refresh token (not rotated)");
	is_int(f[F_EXPIRES].num, 3599, "expires_in");
	json_fields_free(f, NF);

	ok(get("{\n  \"error\": \"invalid_grant\",\n  \"error_description\": "
	    "\"Bad Request\"\n}", f, &err) == 0, "Google error");
	is_str(f[F_ERROR].str, "invalid_grant", "error");
	is_str(f[F_DESC].str, "Bad Request", "error_description");
	json_fields_free(f, NF);

	ok(get("{\"error\": \"slow_down\"}", f, &err) == 0 &&
	    strcmp(f[F_ERROR].str, "slow_down") == 0, "Google slow_down");
	json_fields_free(f, NF);

	ok(get("{\"device_code\":\"AH-1Ng\",\"user_code\":\"GQVQ-JKEC\","
	    "\"expires_in\":1800,\"interval\":5,\"verification_url\":"
	    "\"https://www.google.com/device\"}", f, &err) == 0 &&
	    f[F_INTERVAL].num == 5 && f[F_EXPIRES].num == 1800,
	    "Google device authorization reply");
	json_fields_free(f, NF);
}

/* A Google service-account key file: a flat object, PEM with \n escapes. */
static void
test_key_file(void)
{
	static const char key[] = "{\n"
	    "  \"type\": \"service_account\",\n"
	    "  \"project_id\": \"posta-test\",\n"
	    "  \"private_key_id\": \"4b1c2d\",\n"
	    "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg"
	    "kqhkiG9w0BAQEFAASC\\nBKcwggSjAgEAAoIBAQC7\\u002b\\/w==\\n-----END "
	    "PRIVATE KEY-----\\n\",\n"
	    "  \"client_email\": \"posta@posta-test.iam.gserviceaccount.com\",\n"
	    "  \"client_id\": \"1234567890\",\n"
	    "  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n"
	    "  \"token_uri\": \"https://oauth2.googleapis.com/token\",\n"
	    "  \"auth_provider_x509_cert_url\": \"https://www.googleapis.com/"
	    "oauth2/v1/certs\",\n"
	    "  \"client_x509_cert_url\": \"https://www.googleapis.com/robot/v1/"
	    "metadata/x509/posta%40posta-test.iam.gserviceaccount.com\",\n"
	    "  \"universe_domain\": \"googleapis.com\"\n"
	    "}\n";
	struct json_field f[4] = {
		{ .name = "client_email", .kind = JSON_STR },
		{ .name = "private_key", .kind = JSON_STR },
		{ .name = "token_uri", .kind = JSON_STR },
		{ .name = "type", .kind = JSON_STR, .max = 32 },
	};
	struct perr err = { 0, "" };

	ok(json_get(key, strlen(key), f, 4, &err) == 0, "key file: %s",
	    err.msg);
	is_str(f[0].str, "posta@posta-test.iam.gserviceaccount.com",
	    "client_email");
	is_str(f[1].str, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0"
	    "BAQEFAASC\nBKcwggSjAgEAAoIBAQC7+/w==\n-----END PRIVATE KEY-----\n",
	    "private_key with newlines, \\u002b and \\/ unescaped");
	is_str(f[2].str, "https://oauth2.googleapis.com/token", "token_uri");
	is_str(f[3].str, "service_account", "type");
	json_fields_free(f, 4);
}

static void
test_escapes(void)
{
	struct json_field f[NF];
	struct perr err;

	ok(get("{\"access_token\":\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\"}", f,
	    &err) == 0, "all short escapes");
	is_str(f[F_ACCESS].str, "q\"b\\s/b\bf\fn\nr\rt\t", "decoded");
	json_fields_free(f, NF);

	ok(get("{\"access_token\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"}", f,
	    &err) == 0, "\\u escapes, BMP and a surrogate pair");
	is_str(f[F_ACCESS].str, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	    "as UTF-8 (1, 2, 3 and 4 bytes)");
	json_fields_free(f, NF);

	ok(get("{\"access_token\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf\"}", f, &err) == 0, "raw UTF-8 kept");
	is_str(f[F_ACCESS].str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf", "byte for byte");
	json_fields_free(f, NF);

	ok(get("{\"\\u0061ccess_token\":\"x\",\"expires_in\":\"3600\"}", f,
	    &err) == 0, "escaped member name, integer as a string");
	ok(f[F_ACCESS].found && f[F_EXPIRES].num == 3600,
	    "name unescaped before comparing; \"3600\" taken");
	json_fields_free(f, NF);

	ok(get("{\"access_token\\u0000x\":\"no\",\"skip\":\"a\\u0000b\"}", f,
	    &err) == 0, "\\u0000 in a name or a skipped string is JSON");
	ok(!f[F_ACCESS].found, "a name with NUL inside matches nothing");
	json_fields_free(f, NF);

	ok(get("{\"x\":{\"access_token\":\"nested\"},\"y\":[{\"error\":1}],"
	    "\"access_token\":\"top\"}", f, &err) == 0,
	    "nested members of the same name");
	is_str(f[F_ACCESS].str, "top", "only the top level is taken");
	ok(!f[F_ERROR].found, "nested error ignored");
	json_fields_free(f, NF);
}

static void
test_values(void)
{
	struct json_field f[NF];
	struct perr err;

	ok(get(" \t\r\n{ \"expires_in\" : -0 , \"interval\" :\n"
	    "9223372036854775807 } \n", f, &err) == 0, "whitespace, limits");
	ok(f[F_EXPIRES].found && f[F_EXPIRES].num == 0, "-0 is 0");
	ok(f[F_INTERVAL].num == 9223372036854775807LL, "LLONG_MAX fits");
	json_fields_free(f, NF);

	ok(get("{\"expires_in\":-5,\"interval\":\"-7\"}", f, &err) == 0 &&
	    f[F_EXPIRES].num == -5 && f[F_INTERVAL].num == -7,
	    "negative integers are the caller's to judge");
	json_fields_free(f, NF);

	ok(get("{\"access_token\":null,\"expires_in\":null,\"a\":true,"
	    "\"b\":false,\"c\":[],\"d\":{},\"e\":-1.25e+10,\"f\":0.5,"
	    "\"g\":1E3,\"h\":[1,\"2\",[3,{\"4\":[]}],null]}", f, &err) == 0,
	    "every kind of value skipped: %s", err.msg);
	ok(!f[F_ACCESS].found && !f[F_EXPIRES].found, "null is absent");
	json_fields_free(f, NF);

	ok(get("{}", f, &err) == 0 && !f[F_ACCESS].found, "empty object");
	ok(get("{\"access_token\":\"\"}", f, &err) == 0 &&
	    f[F_ACCESS].found && f[F_ACCESS].len == 0 &&
	    strcmp(f[F_ACCESS].str, "") == 0, "empty string is found");
	json_fields_free(f, NF);
	ok(get("{\"a\":1,\"a\":2}", f, &err) == 0,
	    "a repeated member nobody asked for is harmless");
}

static void
test_limits(void)
{
	struct json_field f[NF], one, many[JSON_MAX_FIELDS + 1];
	struct buf doc;
	struct perr err;
	int i;

	buf_init(&doc, JSON_MAX_DOC + 16);
	(void)buf_adds(&doc, "{\"access_token\":\"");
	for (i = 0; i < JSON_MAX_STRING; i++)
		(void)buf_addc(&doc, 'a' + i % 26);
	(void)buf_adds(&doc, "\"}");
	ok(get(buf_str(&doc), f, &err) == 0 &&
	    f[F_ACCESS].len == JSON_MAX_STRING, "a 16 KB token is taken");
	json_fields_free(f, NF);

	buf_reset(&doc);
	(void)buf_adds(&doc, "{\"access_token\":\"");
	for (i = 0; i < JSON_MAX_STRING; i++)
		(void)buf_adds(&doc, i == 0 ? "\\u00e9" : "a");
	(void)buf_adds(&doc, "\"}");
	refused(doc.data, doc.len, "\"access_token\" at offset 16: too long",
	    "16 KB + 1 byte after unescaping");

	memset(&one, 0, sizeof(one));
	one.name = "error";
	one.kind = JSON_STR;
	one.max = 5;
	perr_clear(&err);
	ok(json_get("{\"error\":\"abcde\"}", 17, &one, 1, &err) == 0 &&
	    strcmp(one.str, "abcde") == 0, "exactly max");
	json_fields_free(&one, 1);
	perr_clear(&err);
	ok(json_get("{\"error\":\"abcdef\"}", 18, &one, 1, &err) == -1 &&
	    one.str == NULL, "max + 1 refused");

	buf_reset(&doc);
	(void)buf_adds(&doc, "{\"a\":");
	for (i = 1; i < JSON_MAX_DEPTH; i++)
		(void)buf_adds(&doc, i % 2 ? "[" : "{\"b\":");
	for (i = JSON_MAX_DEPTH - 1; i >= 1; i--)
		(void)buf_adds(&doc, i % 2 ? "]" : "}");
	(void)buf_adds(&doc, "}");
	ok(get(buf_str(&doc), f, &err) == 0, "nesting of %d levels: %s",
	    JSON_MAX_DEPTH, err.msg);
	buf_reset(&doc);
	(void)buf_adds(&doc, "{\"a\":");
	for (i = 1; i <= JSON_MAX_DEPTH; i++)
		(void)buf_adds(&doc, "[");
	for (i = 1; i <= JSON_MAX_DEPTH; i++)
		(void)buf_adds(&doc, "]");
	(void)buf_adds(&doc, "}");
	refused(doc.data, doc.len, "nested too deeply", "one level more");

	buf_reset(&doc);
	(void)buf_adds(&doc, "{\"a\":\"");
	while (doc.len < JSON_MAX_DOC - 2)
		(void)buf_addc(&doc, 'x');
	(void)buf_adds(&doc, "\"}");
	ok(get(buf_str(&doc), f, &err) == 0 && doc.len == JSON_MAX_DOC,
	    "a document of exactly %d bytes", JSON_MAX_DOC);
	(void)buf_addc(&doc, ' ');
	refused(doc.data, doc.len, "larger than 65536 bytes", "one byte more");
	buf_free(&doc);

	perr_clear(&err);
	ok(json_get("{}", 2, many, JSON_MAX_FIELDS + 1, &err) == -1 &&
	    err.code == EX_SOFTWARE, "too many fields asked for");
}

static void
test_rejects(void)
{
	struct json_field f[NF];
	struct perr err;

	refused("", 0, "empty document", "empty");
	refuse(" \n", "expected an object at offset 2");
	refuse("[]", "expected an object at offset 0");
	refuse("\"access_token\"", "expected an object");
	refuse("\xef\xbb\xbf{}", "expected an object at offset 0");
	refuse("{}x", "trailing bytes at offset 2");
	refuse("{} {}", "trailing bytes at offset 3");
	refused("{}\0", 3, "trailing bytes", "NUL after the object");
	refuse("{", "expected a member name at offset 1");
	refuse("{\"a\"}", "expected ':' at offset 4");
	refuse("{\"a\":}", "unexpected character at offset 5");
	refuse("{\"a\":1", "unterminated object at offset 6");
	refuse("{\"a\":1,}", "expected a member name at offset 7");
	refuse("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	refuse("{\"a\":[1,]}", "unexpected character at offset 8");
	refuse("{\"a\":[1 2]}", "expected ',' or ']'");
	refuse("{\"a\":[1", "unterminated array");
	refuse("{'a':1}", "expected a member name");
	refuse("{a:1}", "expected a member name");
	refuse("{\"a\":True}", "unexpected character");
	refuse("{\"a\":nul}", "unexpected character");
	refuse("{\"a\":NaN}", "unexpected character");
	refuse("{\"a\":Infinity}", "unexpected character");
	refuse("{\"a\":1}//", "trailing bytes");
	refuse("{/**/}", "expected a member name");
	refuse("{\"a\":01}", "expected ',' or '}' at offset 6");
	refuse("{\"a\":1.}", "bad number at offset 7");
	refuse("{\"a\":.5}", "unexpected character");
	refuse("{\"a\":-}", "bad number");
	refuse("{\"a\":+1}", "unexpected character");
	refuse("{\"a\":1e}", "bad number at offset 7");
	refuse("{\"a\":1e+}", "bad number");
	refuse("{\"a\":0x10}", "expected ',' or '}'");
	refuse("{\"a\":\"abc}", "unterminated string");
	refuse("{\"a\":\"a\tb\"}", "control character in string at offset 7");
	refuse("{\"a\":\"a\nb\"}", "control character in string");
	refused("{\"a\":\"a\0b\"}", 11, "control character in string",
	    "raw NUL in a string");
	refuse("{\"a\":\"\\x\"}", "bad escape at offset 6");
	refuse("{\"a\":\"\\'\"}", "bad escape");
	refuse("{\"a\":\"\\u12\"}", "bad \\u escape");
	refuse("{\"a\":\"\\u12g4\"}", "bad \\u escape");
	refuse("{\"a\":\"\\", "unterminated string");
	refuse("{\"a\":\"\\ud83d\"}", "unpaired surrogate at offset 6");
	refuse("{\"a\":\"\\ud83dx\"}", "unpaired surrogate");
	refuse("{\"a\":\"\\ud83d\\u0041\"}", "unpaired surrogate");
	refuse("{\"a\":\"\\ud83d\\ud83d\"}", "unpaired surrogate");
	refuse("{\"a\":\"\\ude00\"}", "unpaired surrogate at offset 6");
	refuse("{\"a\":\"\\ude00\\ud83d\"}", "unpaired surrogate");
	refuse("{\"a\":\"\xc0\x80\"}", "bad UTF-8 at offset 6");
	refuse("{\"a\":\"\xc1\xbf\"}", "bad UTF-8");
	refuse("{\"a\":\"\xe0\x9f\xbf\"}", "bad UTF-8");
	refuse("{\"a\":\"\xed\xa0\x80\"}", "bad UTF-8");
	refuse("{\"a\":\"\xf0\x8f\xbf\xbf\"}", "bad UTF-8");
	refuse("{\"a\":\"\xf4\x90\x80\x80\"}", "bad UTF-8");
	refuse("{\"a\":\"\xf5\x80\x80\x80\"}", "bad UTF-8");
	refuse("{\"a\":\"\xff\"}", "bad UTF-8");
	refuse("{\"a\":\"\x80\"}", "bad UTF-8");
	refuse("{\"a\":\"\xc3\"}", "bad UTF-8");
	refuse("{\"a\":\"\xe2\x82\"}", "bad UTF-8");
	refused("{\"a\":\"\xe2\x82", 8, "bad UTF-8", "UTF-8 cut by the end");
	refuse("{\"a\xff\":1}", "bad UTF-8");

	/* the wanted members */
	refuse("{\"access_token\":\"a\\u0000b\"}",
	    "\"access_token\" at offset 16: holds \\u0000");
	refuse("{\"access_token\":\"a\",\"access_token\":\"b\"}",
	    "\"access_token\" at offset 20: repeated");
	refuse("{\"access_token\":null,\"access_token\":\"b\"}", "repeated");
	refuse("{\"access_token\":42}", "\"access_token\" at offset 16: not a "
	    "string");
	refuse("{\"access_token\":[\"x\"]}", "not a string");
	refuse("{\"access_token\":true}", "not a string");
	refuse("{\"expires_in\":1.5}", "\"expires_in\" at offset 14: not an "
	    "integer");
	refuse("{\"expires_in\":1e3}", "not an integer");
	refuse("{\"expires_in\":\"\"}", "not an integer");
	refuse("{\"expires_in\":\" 3600\"}", "not an integer");
	refuse("{\"expires_in\":\"3600s\"}", "not an integer");
	refuse("{\"expires_in\":\"0360\"}", "not an integer");
	refuse("{\"expires_in\":\"+1\"}", "not an integer");
	refuse("{\"expires_in\":\"1\\u0000\"}", "not an integer");
	refuse("{\"expires_in\":\"111111111111111111111111111111111\"}",
	    "not an integer");
	refuse("{\"expires_in\":9223372036854775808}", "not an integer");
	refuse("{\"expires_in\":-9223372036854775808}", "not an integer");
	refuse("{\"expires_in\":true}", "not an integer");
	refuse("{\"expires_in\":{}}", "not an integer");
	refuse("{\"expires_in\":nope}", "unexpected character");

	/* a later error frees what was taken, and says nothing about it */
	ok(get("{\"access_token\":\"s3cr3t-t0ken\",\"x\":\"\\q\"}", f, &err) ==
	    -1, "error after a taken token");
	ok(f[F_ACCESS].str == NULL && !f[F_ACCESS].found, "token freed");
	ok(strstr(err.msg, "s3cr3t") == NULL, "no value in the message: %s",
	    err.msg);
	ok(get("{\"access_token\":\"s3cr3t-t0ken\\u0000\"}", f, &err) == -1 &&
	    strstr(err.msg, "s3cr3t") == NULL, "no value in member errors");
}

int
main(void)
{
	test_microsoft();
	test_google();
	test_key_file();
	test_escapes();
	test_values();
	test_limits();
	test_rejects();
	return done_testing();
}
