/*
 * sysctl.h - the engine's tunables, named after Linux's sysctls and
 * starting at Linux's defaults.  One X-macro list gives the field, the
 * name, the default and the accepted range.
 *
 * X(field, "name", default, min, max)
 */
#ifndef TCPX_SYSCTL_H
#define TCPX_SYSCTL_H

#include <stdint.h>

#define TCPX_SYSCTL_LIST(X) \
	X(somaxconn, "net.core.somaxconn", 4096, 0, 2147483647) \
	X(ip_default_ttl, "net.ipv4.ip_default_ttl", 64, 1, 255) \
	X(tcp_max_syn_backlog, "net.ipv4.tcp_max_syn_backlog", 1024, 0, 2147483647) \
	X(tcp_syncookies, "net.ipv4.tcp_syncookies", 1, 0, 2) \
	X(tcp_abort_on_overflow, "net.ipv4.tcp_abort_on_overflow", 0, 0, 1) \
	X(tcp_syn_retries, "net.ipv4.tcp_syn_retries", 6, 1, 127) \
	/* Linux 6.x has it (default 4 there); 0 keeps the classic doubling the
	 * issue and the seeds describe: SYNs at 0, 1, 3, 7, 15, 31, 63 s. */ \
	X(tcp_syn_linear_timeouts, "net.ipv4.tcp_syn_linear_timeouts", 0, 0, 127) \
	X(tcp_synack_retries, "net.ipv4.tcp_synack_retries", 5, 0, 255) \
	X(tcp_retries1, "net.ipv4.tcp_retries1", 3, 0, 255) \
	X(tcp_retries2, "net.ipv4.tcp_retries2", 15, 0, 255) \
	X(tcp_orphan_retries, "net.ipv4.tcp_orphan_retries", 0, 0, 255) \
	X(tcp_fin_timeout, "net.ipv4.tcp_fin_timeout", 60, 0, 2147483) \
	X(tcp_max_orphans, "net.ipv4.tcp_max_orphans", 65536, 0, 2147483647) \
	X(tcp_max_tw_buckets, "net.ipv4.tcp_max_tw_buckets", 262144, 0, 2147483647) \
	X(tcp_tw_reuse, "net.ipv4.tcp_tw_reuse", 2, 0, 2) \
	X(tcp_timestamps, "net.ipv4.tcp_timestamps", 1, 0, 2) \
	X(tcp_window_scaling, "net.ipv4.tcp_window_scaling", 1, 0, 1) \
	X(tcp_sack, "net.ipv4.tcp_sack", 1, 0, 1) \
	X(tcp_dsack, "net.ipv4.tcp_dsack", 1, 0, 1) \
	/* SACK compression: how long, and how many ACKs, at most. */ \
	X(tcp_comp_sack_delay_ns, "net.ipv4.tcp_comp_sack_delay_ns", 1000000, 0, 2147483647) \
	X(tcp_comp_sack_nr, "net.ipv4.tcp_comp_sack_nr", 44, 0, 255) \
	X(tcp_fastopen, "net.ipv4.tcp_fastopen", 1, 0, 0x7ff) \
	X(tcp_keepalive_time, "net.ipv4.tcp_keepalive_time", 7200, 1, 32767) \
	X(tcp_keepalive_intvl, "net.ipv4.tcp_keepalive_intvl", 75, 1, 32767) \
	X(tcp_keepalive_probes, "net.ipv4.tcp_keepalive_probes", 9, 1, 127) \
	X(tcp_rfc1337, "net.ipv4.tcp_rfc1337", 0, 0, 1) \
	X(tcp_invalid_ratelimit, "net.ipv4.tcp_invalid_ratelimit", 500, 0, 2147483647) \
	X(tcp_challenge_ack_limit, "net.ipv4.tcp_challenge_ack_limit", 2147483647, 0, 2147483647) \
	X(tcp_adv_win_scale, "net.ipv4.tcp_adv_win_scale", 1, -31, 31) \
	X(tcp_moderate_rcvbuf, "net.ipv4.tcp_moderate_rcvbuf", 1, 0, 1) \
	X(tcp_slow_start_after_idle, "net.ipv4.tcp_slow_start_after_idle", 1, 0, 1) \
	X(tcp_reordering, "net.ipv4.tcp_reordering", 3, 1, 300) \
	X(tcp_max_reordering, "net.ipv4.tcp_max_reordering", 300, 1, 2147483647) \
	X(tcp_min_rtt_wlen, "net.ipv4.tcp_min_rtt_wlen", 300, 0, 86400) \
	X(tcp_autocorking, "net.ipv4.tcp_autocorking", 1, 0, 1) \
	/* TSO autosizing (tcp_tso_segs): the floor, and the min_rtt scale. */ \
	X(tcp_min_tso_segs, "net.ipv4.tcp_min_tso_segs", 2, 1, 255) \
	X(tcp_tso_rtt_log, "net.ipv4.tcp_tso_rtt_log", 9, 0, 255) \
	/* A super-segment waits for an ACK while under cwnd / this. */ \
	X(tcp_tso_win_divisor, "net.ipv4.tcp_tso_win_divisor", 3, 0, 255) \
	X(tcp_timewait_len, "net.ipv4.tcpx_timewait_len", 60, 1, 3600) \
	X(neigh_reachable_ms, "net.ipv4.neigh.default.base_reachable_time_ms", 30000, 1000, 3600000) \
	X(neigh_retrans_ms, "net.ipv4.neigh.default.retrans_time_ms", 1000, 10, 3600000) \
	X(neigh_mcast_solicit, "net.ipv4.neigh.default.mcast_solicit", 3, 1, 32) \
	X(neigh_unres_qlen, "net.ipv4.neigh.default.unres_qlen", 101, 0, 65535) \
	X(busy_poll, "net.core.busy_poll", 0, 0, 1000000) \
	X(tcp_early_retrans, "net.ipv4.tcp_early_retrans", 3, 0, 4) \
	/* F-RTO (RFC 5682) after a timeout; Linux's 2 is its SACK form. */ \
	X(tcp_frto, "net.ipv4.tcp_frto", 2, 0, 2) \
	/* Bits as Linux: 1 RACK loss detection, 2 static reo_wnd, 4 no
	 * dupthresh; 0 leaves RFC 6675 alone (tcp_rack.c). */ \
	X(tcp_recovery, "net.ipv4.tcp_recovery", 1, 0, 7) \
	/* Linux's tcp_cubic module parameters, read at each use as its
	 * are (/sys/module/tcp_cubic/parameters/; tcp_cubic.c). */ \
	X(cubic_hystart, "tcp_cubic.hystart", 1, 0, 1) \
	X(cubic_hystart_detect, "tcp_cubic.hystart_detect", 3, 0, 3) \
	X(cubic_hystart_low_window, "tcp_cubic.hystart_low_window", 16, 0, 2147483647) \
	X(cubic_hystart_ack_delta_us, "tcp_cubic.hystart_ack_delta_us", 2000, 0, 2147483647) \
	X(cubic_fast_convergence, "tcp_cubic.fast_convergence", 1, 0, 1) \
	X(cubic_tcp_friendliness, "tcp_cubic.tcp_friendliness", 1, 0, 1) \
	X(cubic_initial_ssthresh, "tcp_cubic.initial_ssthresh", 0, 0, 2147483647)

/*
 * Multi-valued sysctls are text-formatted specially in sysctl.c; they are
 * kept as plain fields here:
 *   net.ipv4.ip_local_port_range  "32768\t60999"
 *   net.ipv4.tcp_rmem             "4096\t131072\t33554432"
 *   net.ipv4.tcp_wmem             "4096\t16384\t4194304"
 *   net.ipv4.tcp_congestion_control  "cubic" | "reno"
 */
enum tcpx_cc { TCPX_CC_CUBIC, TCPX_CC_RENO };

struct tcpx_sysctl {
#define TCPX_SYSCTL_FIELD(f, n, d, lo, hi) long f;
	TCPX_SYSCTL_LIST(TCPX_SYSCTL_FIELD)
#undef TCPX_SYSCTL_FIELD
	long ip_local_port_range[2];
	long tcp_rmem[3];
	long tcp_wmem[3];
	enum tcpx_cc tcp_congestion_control;
};

void tcpx_sysctl_defaults(struct tcpx_sysctl *s);

#endif /* TCPX_SYSCTL_H */
