/*
 * test_ssfilter.c - `tcpx ss` filter expressions (shim/tool/ssfilter.c):
 * what ss(8) users type, matched against sockets, and the refusals.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ssfilter.h"

static struct sockaddr_in
sa(const char *addr, unsigned port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &s.sin_addr), 1);
	return s;
}

/* Does the expression (one word per argument or all in one) match? */
static int
matches(const char *expr, const char *laddr, unsigned lport,
    const char *raddr, unsigned rport)
{
	struct sockaddr_in l = sa(laddr, lport), r = sa(raddr, rport);
	char copy[256], *words[32], *save = NULL, *w, err[160];
	struct ss_filter *f, *g;
	char *const one[1] = { copy };
	int n = 0, a, b;

	/* Split on blanks, as a shell passes an unquoted filter. */
	snprintf(copy, sizeof(copy), "%s", expr);
	for (w = strtok_r(copy, " ", &save); w != NULL && n < 32;
	    w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	f = ss_filter_parse(words, n, err, sizeof(err));
	ck_assert_msg(f != NULL, "'%s': %s", expr, err);
	a = ss_filter_match(f, &l, &r);
	ss_filter_free(f);
	/* The same as one quoted argument. */
	snprintf(copy, sizeof(copy), "%s", expr);
	g = ss_filter_parse(one, 1, err, sizeof(err));
	ck_assert_msg(g != NULL, "'%s' quoted: %s", expr, err);
	b = ss_filter_match(g, &l, &r);
	ss_filter_free(g);
	ck_assert_int_eq(a, b);
	return a;
}

/*
 * Each expression against one socket: a client 10.77.0.2:40000 talking
 * to a web server 10.77.0.1:80.
 */
static const struct {
	const char *expr;
	int want;
} cases[] = {
	/* Ports, every operator spelling. */
	{ "dport = :80", 1 }, { "sport = :80", 0 }, { "dport == 80", 1 },
	{ "dport eq :http", 1 }, { "sport >= :32768", 1 },
	{ "sport < :1024", 0 }, { "dport != :22", 1 },
	{ "sport gt :39999", 1 }, { "sport le :40000", 1 },
	/* Hosts, with prefixes and ports. */
	{ "dst 10.77.0.1", 1 }, { "dst 10.77.0.0/24", 1 },
	{ "dst 10.78.0.0/16", 0 }, { "dst 10.77.0.1:80", 1 },
	{ "dst 10.77.0.1:81", 0 }, { "src *:40000", 1 },
	{ "src = 0.0.0.0/0", 1 },
	/* Logic: or, parentheses, side by side is "and", not. */
	{ "( sport = :22 or dport = :80 )", 1 },
	{ "( sport = :22 or dport = :22 )", 0 },
	{ "(sport = :22 || dport = :80)", 1 },
	{ "dport = :80 sport = :22", 0 },
	{ "dport = :80 and dst 10.77.0.1", 1 },
	{ "not dport = :22", 1 }, { "!dport = :80", 0 },
	/* and binds tighter than or. */
	{ "dport = :80 or dport = :1 and sport = :1", 1 },
	{ "( dport = :80 or dport = :1 ) and sport = :1", 0 },
};

START_TEST(expressions)
{
	int got = matches(cases[_i].expr, "10.77.0.2", 40000, "10.77.0.1", 80);

	ck_assert_msg(got == cases[_i].want, "'%s' gave %d", cases[_i].expr,
	    got);
}
END_TEST

START_TEST(refusals)
{
	static const char *bad[] = {
		"dport", "dport =", "dport = :99999", "dport = :nosuchservice",
		"dport ~ :80", "src ::1", "src 10.77.0.0/33", "dst > 10.0.0.1",
		"( dport = :80", "dport = :80 )", "bogus", "dport = :80 or",
		"()",
	};
	char err[160], buf[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *const w[1] = { buf };

		snprintf(buf, sizeof(buf), "%s", bad[i]);
		ck_assert_msg(ss_filter_parse(w, 1, err, sizeof(err)) == NULL,
		    "'%s' was taken", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
	}
	/* No words: no filter, everything passes. */
	ck_assert(ss_filter_parse(NULL, 0, err, sizeof(err)) == NULL);
	ck_assert(ss_filter_match(NULL, NULL, NULL));
}
END_TEST

static Suite *
ssfilter_suite(void)
{
	Suite *s = suite_create("ssfilter");
	TCase *tc = tcase_create("ssfilter");

	tcase_add_loop_test(tc, expressions, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ssfilter_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
