/*
 * ssfilter.c - ss(8)'s filter expressions (grammar in ssfilter.h),
 * parsed by recursive descent into a small tree and evaluated per
 * socket.  Service names are looked up in /etc/services, as ss does.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssfilter.h"

enum nk { NK_AND, NK_OR, NK_NOT, NK_PORT, NK_HOST };
enum op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

struct ss_filter {
	enum nk kind;
	struct ss_filter *a, *b;	/* operands of and/or/not */
	int remote;			/* dport/dst: the peer's end */
	enum op op;
	int has_port;
	uint16_t port;
	uint32_t net, mask;		/* host order; mask 0: any address */
};

struct parser {
	char **tok;
	int n, i;
	char *err;
	size_t errlen;
	int failed;
};

static const struct {
	const char *name;
	enum op op;
} ops[] = {
	{ "=", OP_EQ }, { "==", OP_EQ }, { "eq", OP_EQ },
	{ "!=", OP_NE }, { "ne", OP_NE }, { "neq", OP_NE },
	{ "<", OP_LT }, { "lt", OP_LT }, { ">", OP_GT }, { "gt", OP_GT },
	{ "<=", OP_LE }, { "le", OP_LE }, { "leq", OP_LE },
	{ ">=", OP_GE }, { "ge", OP_GE }, { "geq", OP_GE },
};

static void
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

static const char *
peek(const struct parser *p)
{
	return p->i < p->n ? p->tok[p->i] : NULL;
}

static int
is(const struct parser *p, const char *a, const char *b)
{
	const char *t = peek(p);

	return t != NULL && (strcmp(t, a) == 0 || (b && strcmp(t, b) == 0));
}

static struct ss_filter *
node(struct parser *p, enum nk kind, struct ss_filter *a, struct ss_filter *b)
{
	struct ss_filter *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		fail(p, "out of memory");
		ss_filter_free(a);
		ss_filter_free(b);
		return NULL;
	}
	f->kind = kind;
	f->a = a;
	f->b = b;
	return f;
}

/* "80", ":80", "*:80", ":http": the port, or -1. */
static int
parse_port(const char *s)
{
	const struct servent *se;
	char *end;
	long v;

	if (s[0] == '*')
		s++;
	if (s[0] == ':')
		s++;
	if (s[0] == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end == '\0')
		return v >= 0 && v <= 65535 ? (int)v : -1;
	if ((se = getservbyname(s, "tcp")) != NULL)
		return ntohs((uint16_t)se->s_port);
	return -1;
}

/* "10.77.0.1", "10.77.0.0/24", "10.77.0.1:80", "*", "*:80", ":80". */
static int
parse_host(struct ss_filter *f, const char *s)
{
	char buf[64], *colon, *slash, *end;
	struct in_addr a;
	long len = 32;
	int port;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return -1;
	if ((colon = strrchr(buf, ':')) != NULL) {
		if ((port = parse_port(colon)) < 0)
			return -1;
		f->has_port = 1;
		f->port = (uint16_t)port;
		*colon = '\0';
	}
	if (buf[0] == '\0' || strcmp(buf, "*") == 0)
		return 0;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		len = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || len < 0 || len > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	f->mask = len == 0 ? 0 : ~0u << (32 - len);
	f->net = ntohl(a.s_addr) & f->mask;
	return 0;
}

static struct ss_filter *parse_or(struct parser *p);

static struct ss_filter *
parse_cond(struct parser *p)
{
	const char *key = peek(p), *arg;
	struct ss_filter *f;
	int port_cond, port;
	size_t k;

	if (key == NULL) {
		fail(p, "expression ends too early");
		return NULL;
	}
	port_cond = strcmp(key, "sport") == 0 || strcmp(key, "dport") == 0;
	if (!port_cond && strcmp(key, "src") != 0 && strcmp(key, "dst") != 0) {
		fail(p, "unknown word '%s' (sport, dport, src, dst, and, or, "
		    "not, parentheses)", key);
		return NULL;
	}
	p->i++;
	if ((f = node(p, port_cond ? NK_PORT : NK_HOST, NULL, NULL)) == NULL)
		return NULL;
	f->remote = key[0] == 'd';
	f->op = OP_EQ;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (is(p, ops[k].name, NULL))
			break;
	if (k < sizeof(ops) / sizeof(ops[0])) {
		if (!port_cond && ops[k].op != OP_EQ) {
			fail(p, "%s takes = only, not '%s'", key, peek(p));
			free(f);
			return NULL;
		}
		f->op = ops[k].op;
		p->i++;
	}
	arg = peek(p);
	if (port_cond) {
		if (arg == NULL || (port = parse_port(arg)) < 0) {
			fail(p, "%s: expected a port (:80, :http), got '%s'",
			    key, arg ? arg : "");
			free(f);
			return NULL;
		}
		f->has_port = 1;
		f->port = (uint16_t)port;
	} else if (arg == NULL || parse_host(f, arg) < 0) {
		fail(p, "%s: expected ADDR[/LEN][:PORT] (IPv4), got '%s'",
		    key, arg ? arg : "");
		free(f);
		return NULL;
	}
	p->i++;
	return f;
}

static struct ss_filter *
parse_not(struct parser *p)
{
	struct ss_filter *f;

	if (is(p, "not", "!")) {
		p->i++;
		if ((f = parse_not(p)) == NULL)
			return NULL;
		return node(p, NK_NOT, f, NULL);
	}
	if (is(p, "(", NULL)) {
		p->i++;
		if ((f = parse_or(p)) == NULL)
			return NULL;
		if (!is(p, ")", NULL)) {
			fail(p, "missing ')'");
			ss_filter_free(f);
			return NULL;
		}
		p->i++;
		return f;
	}
	return parse_cond(p);
}

/*
 * Is another operand of `kind` next?  Takes the operator word: "or" or
 * "||"; "and" or "&&", or nothing for "and" (side by side).
 */
static int
more(struct parser *p, enum nk kind)
{
	if (kind == NK_OR) {
		if (!is(p, "or", "||"))
			return 0;
	} else {
		if (peek(p) == NULL || is(p, "or", "||") || is(p, ")", NULL))
			return 0;
		if (!is(p, "and", "&&"))
			return 1;
	}
	p->i++;
	return 1;
}

/* Operands from `sub` joined by `kind`, left to right. */
static struct ss_filter *
chain(struct parser *p, enum nk kind,
    struct ss_filter *(*sub)(struct parser *))
{
	struct ss_filter *f, *g;

	if ((f = sub(p)) == NULL)
		return NULL;
	while (more(p, kind)) {
		if ((g = sub(p)) == NULL) {
			ss_filter_free(f);
			return NULL;
		}
		if ((f = node(p, kind, f, g)) == NULL)
			return NULL;
	}
	return f;
}

static struct ss_filter *
parse_and(struct parser *p)
{
	return chain(p, NK_AND, parse_not);
}

static struct ss_filter *
parse_or(struct parser *p)
{
	return chain(p, NK_OR, parse_and);
}

/* Split the words further: blanks part tokens, parentheses are tokens. */
static char **
tokenize(char *const *words, int n, int *ntok)
{
	char **tok = NULL, **t;
	const char *s;
	size_t len;
	int i, k = 0, cap = 0;

	for (i = 0; i < n; i++) {
		for (s = words[i]; *s != '\0';) {
			if (*s == ' ' || *s == '\t' || *s == '\n') {
				s++;
				continue;
			}
			if (*s == '(' || *s == ')')
				len = 1;
			else if (*s == '!' && s[1] != '=' && s[1] != '\0')
				len = 1;	/* "!dport": not, then dport */
			else
				len = strcspn(s, " \t\n()");
			if (k == cap) {
				cap = cap ? 2 * cap : 16;
				if ((t = realloc(tok, (size_t)cap *
				    sizeof(*tok))) == NULL)
					goto nomem;
				tok = t;
			}
			if ((tok[k] = strndup(s, len)) == NULL)
				goto nomem;
			k++;
			s += len;
		}
	}
	*ntok = k;
	return tok;
nomem:
	while (k > 0)
		free(tok[--k]);
	free(tok);
	*ntok = -1;
	return NULL;
}

struct ss_filter *
ss_filter_parse(char *const *words, int n, char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	struct ss_filter *f = NULL;
	int i;

	if (errlen > 0)
		err[0] = '\0';
	p.tok = tokenize(words, n, &p.n);
	if (p.n < 0) {
		fail(&p, "out of memory");
		return NULL;
	}
	if (p.n > 0) {
		f = parse_or(&p);
		if (f != NULL && p.i < p.n) {
			fail(&p, "unexpected '%s'", p.tok[p.i]);
			ss_filter_free(f);
			f = NULL;
		}
	}
	for (i = 0; i < p.n; i++)
		free(p.tok[i]);
	free(p.tok);
	return f;
}

static int
port_ok(enum op op, uint16_t have, uint16_t want)
{
	switch (op) {
	case OP_EQ: return have == want;
	case OP_NE: return have != want;
	case OP_LT: return have < want;
	case OP_GT: return have > want;
	case OP_LE: return have <= want;
	case OP_GE: return have >= want;
	}
	return 0;
}

int
ss_filter_match(const struct ss_filter *f, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	const struct sockaddr_in *sa;

	if (f == NULL)
		return 1;
	sa = f->remote ? remote : local;
	switch (f->kind) {
	case NK_AND:
		return ss_filter_match(f->a, local, remote) &&
		    ss_filter_match(f->b, local, remote);
	case NK_OR:
		return ss_filter_match(f->a, local, remote) ||
		    ss_filter_match(f->b, local, remote);
	case NK_NOT:
		return !ss_filter_match(f->a, local, remote);
	case NK_PORT:
		return port_ok(f->op, ntohs(sa->sin_port), f->port);
	case NK_HOST:
		if ((ntohl(sa->sin_addr.s_addr) & f->mask) != f->net)
			return 0;
		return !f->has_port || ntohs(sa->sin_port) == f->port;
	}
	return 0;
}

void
ss_filter_free(struct ss_filter *f)
{
	if (f == NULL)
		return;
	ss_filter_free(f->a);
	ss_filter_free(f->b);
	free(f);
}
