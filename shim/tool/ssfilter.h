/*
 * ssfilter.h - ss(8)'s filter expressions for `tcpx ss`:
 *
 *   expr := term { (or | "||") term }
 *   term := factor { [and | "&&"] factor }     (side by side = and)
 *   factor := (not | "!") factor | "(" expr ")" | cond
 *   cond := (sport | dport) OP PORT  |  (src | dst) [= | == | eq] HOST
 *   OP   := = == eq  != ne neq  < lt  > gt  <= le leq  >= ge geq
 *   PORT := :N  N  :service  *:N          HOST := ADDR[/LEN][:PORT]  *[:PORT]
 *
 * The words may come one per argument (ss dport = :80) or several in
 * one (ss 'dport = :80 or sport = :80'), as ss(8) takes them.
 */
#ifndef TCPX_SSFILTER_H
#define TCPX_SSFILTER_H

#include <netinet/in.h>
#include <stddef.h>

struct ss_filter;

/*
 * The expression in words[0..n), or NULL with a message in err (also
 * NULL, with no message, for n == 0: no filter).
 */
struct ss_filter *ss_filter_parse(char *const *words, int n, char *err,
    size_t errlen);
/* Does the socket with these two ends pass? A NULL filter passes all. */
int ss_filter_match(const struct ss_filter *f,
    const struct sockaddr_in *local, const struct sockaddr_in *remote);
void ss_filter_free(struct ss_filter *f);

#endif
