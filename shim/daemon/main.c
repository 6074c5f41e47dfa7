/*
 * main.c - tcpxd: options, configuration, the checks that make its
 * errors clear (no such interface, address owned by the kernel, no
 * CAP_NET_RAW, already running), pidfile, daemonizing, then the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcpxd.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tcpxd [options]\n"
"\n"
"The tcpx engine process: owns one interface's raw AF_PACKET socket and\n"
"the user-level TCP/IPv4 stack on it; programs reach it through\n"
"libtcpx.so ('tcpx run CMD').  libtcpx.so starts it on first use.\n"
"\n"
"  -i, --iface IF        interface (env " TCPX_ENV_IFACE ")\n"
"  -a, --addr A.B.C.D/N  the stack's own address (env " TCPX_ENV_ADDR "); the\n"
"                        kernel must not have it\n"
"  -g, --gateway A.B.C.D off-link next hop (env " TCPX_ENV_GATEWAY ")\n"
"  -c, --config FILE     config file (env " TCPX_ENV_CONFIG ", default "
    TCPX_DEFAULT_CONFIG ")\n"
"      --mtu N           use at most N bytes per packet\n"
"      --idle-exit SECS  exit after SECS without programs or connections\n"
"                        (TIME-WAIT included); default %d, 0 = never\n"
"  -f, --foreground      stay in the foreground, log to stderr\n"
"  -v, --verbose         more log: -v connections, -vv every segment\n"
"  -h, --help            this text\n"
"\n"
"Inside the lab (scripts/lab exec host ...) the defaults are %s, %s.\n"
"Needs CAP_NET_RAW: run as root or 'setcap cap_net_raw+ep build/tcpxd'.\n",
	    TCPX_DEFAULT_IDLE_EXIT, TCPX_LAB_IFACE, TCPX_LAB_ADDR);
}

static void
die(const char *msg)
{
	logx("%s", msg);
	exit(1);
}

/* Pidfile path: per interface and network namespace (/run is shared). */
static void
pidfile_path(const struct tcpxd *d, char *buf, size_t len)
{
	struct stat st;
	unsigned long ns = 0;

	if (stat("/proc/self/ns/net", &st) == 0)
		ns = (unsigned long)st.st_ino;
	snprintf(buf, len, TCPX_PIDFILE_FMT, d->conf.ifname, ns);
}

/*
 * Fork into the background.  The parent returns only when the child
 * says it is ready (so that whoever started tcpxd can connect at once),
 * exiting 0, or 1 if the child died first.  Returns the fd on which the
 * child reports readiness.
 */
static int
daemonize(const char *logpath)
{
	pid_t pid;
	int fd, pfd[2];
	char c;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		logx("pipe: %s", strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		logx("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) == 1 ? 0 : 1);
	}
	close(pfd[0]);
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	return pfd[1];
}

static void
parse_args(struct tcpxd *d, int argc, char **argv, struct tcpx_conf *cli,
    char *cfgpath, size_t cfglen)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "config", required_argument, NULL, 'c' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "idle-exit", required_argument, NULL, 'I' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
	int ch;

	while ((ch = getopt_long(argc, argv, "i:a:g:c:fvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			if (strlen(optarg) >= sizeof(cli->ifname))
				die("--iface: name too long");
			snprintf(cli->ifname, sizeof(cli->ifname), "%s", optarg);
			break;
		case 'a':
			if (tcpx_conf_parse_addr(optarg, &cli->addr,
			    &cli->prefixlen) < 0) {
				logx("--addr: expected a.b.c.d/len, got '%s'",
				    optarg);
				exit(2);
			}
			break;
		case 'g':
			if (tcpx_conf_parse_ip(optarg, &cli->gateway) < 0) {
				logx("--gateway: expected a.b.c.d, got '%s'",
				    optarg);
				exit(2);
			}
			break;
		case 'c':
			snprintf(cfgpath, cfglen, "%s", optarg);
			break;
		case 'm':
		case 'I':
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 0 ||
			    n > 65535) {
				logx("--%s: expected a number, got '%s'",
				    ch == 'm' ? "mtu" : "idle-exit", optarg);
				exit(2);
			}
			if (ch == 'm')
				cli->mtu = (uint16_t)n;
			else
				cli->idle_exit = (int)n;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 'v':
			d->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		logx("unexpected argument '%s' (see --help)", argv[optind]);
		exit(2);
	}
}

static void
configure(struct tcpxd *d, const struct tcpx_conf *cli)
{
	char err[512];

	if (tcpx_conf_load(&d->conf, err, sizeof(err)) < 0)
		die(err);
	if (cli->ifname[0] != '\0') {
		/* Another interface: the lab defaults may no longer apply. */
		if (strcmp(cli->ifname, d->conf.ifname) != 0 &&
		    strcmp(d->conf.ifname, TCPX_LAB_IFACE) == 0 &&
		    getenv(TCPX_ENV_ADDR) == NULL && d->conf.file[0] == '\0') {
			d->conf.addr.s_addr = 0;
			d->conf.gateway.s_addr = 0;
		}
		snprintf(d->conf.ifname, sizeof(d->conf.ifname), "%s",
		    cli->ifname);
	}
	if (cli->addr.s_addr != 0) {
		d->conf.addr = cli->addr;
		d->conf.prefixlen = cli->prefixlen;
	}
	if (cli->gateway.s_addr != 0)
		d->conf.gateway = cli->gateway;
	if (cli->mtu != 0)
		d->conf.mtu = cli->mtu;
	if (cli->idle_exit >= 0)
		d->conf.idle_exit = cli->idle_exit;
	tcpx_conf_lab_defaults(&d->conf);
	if (tcpx_conf_complete(&d->conf, err, sizeof(err)) < 0)
		die(err);
	d->idle_exit = d->conf.idle_exit >= 0 ? d->conf.idle_exit :
	    TCPX_DEFAULT_IDLE_EXIT;
}

static void
engine_start(struct tcpxd *d)
{
	struct tcpx_config cfg;
	struct tcpx_ops ops;
	unsigned i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.link = d->linktype;
	memcpy(cfg.mac, d->mac, sizeof(cfg.mac));
	cfg.addr = d->conf.addr;
	cfg.prefixlen = d->conf.prefixlen;
	cfg.gateway = d->conf.gateway;
	cfg.mtu = d->mtu;
	if (getrandom(cfg.secret, sizeof(cfg.secret), 0) !=
	    (ssize_t)sizeof(cfg.secret))
		arc4random_buf(cfg.secret, sizeof(cfg.secret));
	loop_engine_ops(d, &ops);
	d->start_us = now_us();
	d->eng = tcpx_engine_new(&cfg, &ops, d->start_us);
	explicit_bzero(cfg.secret, sizeof(cfg.secret));
	if (d->eng == NULL)
		die("cannot create the engine (out of memory)");
	/*
	 * Super-segments only where the link takes them (vnet path), in
	 * the interface's limits (iface_gso_refresh).
	 */
	if (link_vnet(d)) {
		if ((d->rtnl_fd = iface_rtnl_open()) < 0)
			logx("link: netlink: %s: super-segments of up to "
			    "64 KB, whatever %s's gso_max_size",
			    strerror(errno), d->conf.ifname);
		iface_gso_refresh(d);
	}
	for (i = 0; i < d->conf.nsysctl; i++) {
		const struct tcpx_ctl_sysctl *s = &d->conf.sysctl[i];
		int rc = tcpx_sysctl_set(d->eng, s->name, s->value);

		if (rc < 0) {
			logx("%s: %s = %s: %s", d->conf.file, s->name, s->value,
			    rc == -ENOENT ? "unknown tunable" : "bad value");
			exit(1);
		}
	}
}

/* A new AF_UNIX socket's send buffer (bridge_app_default); 0 unknown. */
static int
read_wmem_default(void)
{
	FILE *f = fopen("/proc/sys/net/core/wmem_default", "re");
	int v = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static struct tcpxd daemon_state;
	struct tcpxd *d = &daemon_state;
	struct tcpx_conf cli;
	struct pidfh *pfh = NULL;
	char err[512], cfgpath[256] = "", pidpath[300], where[32];
	char logpath[300], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	const char *envlog;
	pid_t other;
	int rc, ready = -1;

	memset(&cli, 0, sizeof(cli));
	cli.idle_exit = -1;
	d->verbose = 1;
	d->epfd = d->timer.fd = d->sig.fd = d->ctl.fd = d->rtnl_fd = -1;
	LIST_INIT(&d->clients);
	LIST_INIT(&d->bsocks);
	LIST_INIT(&d->zombies);
	RB_INIT(&d->handles);
	TAILQ_INIT(&d->dirty);
	TAILQ_INIT(&d->timed);
	TAILQ_INIT(&d->held);
	TAILQ_INIT(&d->resv_zombies);
	log_init("tcpxd", d->verbose);
	parse_args(d, argc, argv, &cli, cfgpath, sizeof(cfgpath));
	log_init("tcpxd", d->verbose);
	if (cfgpath[0] != '\0')
		setenv(TCPX_ENV_CONFIG, cfgpath, 1);
	configure(d, &cli);
	d->wmem_default = read_wmem_default();

	if (iface_probe(d, err, sizeof(err)) < 0)
		die(err);
	inet_ntop(AF_INET, &d->conf.addr, addr, sizeof(addr));
	if (iface_kernel_owns(d->conf.addr, where, sizeof(where))) {
		logx("address %s already belongs to the kernel (on %s): tcpx "
		    "needs an address of its own; remove it ('ip addr del "
		    "%s/%u dev %s') or choose another with --addr/%s", addr,
		    where, addr, d->conf.prefixlen, where, TCPX_ENV_ADDR);
		return 1;
	}

	/* The control socket goes into epoll before the rest exists. */
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		die("epoll_create1 failed");
	rc = ctl_open(d, err, sizeof(err));
	if (rc == 1) {
		/* Started twice (e.g. by two programs at once): fine. */
		if (d->foreground)
			logi("another tcpxd already serves %s here; nothing "
			    "to do", d->conf.ifname);
		return 0;
	}
	if (rc < 0)
		die(err);

	pidfile_path(d, pidpath, sizeof(pidpath));
	(void)mkdir(TCPX_RUN_DIR, 0755);
	pfh = pidfile_open(pidpath, 0644, &other);
	if (pfh == NULL && errno == EEXIST) {
		logx("another tcpxd (pid %d) holds %s", (int)other, pidpath);
		return 1;
	}
	if (pfh == NULL)
		logd("no pidfile %s: %s", pidpath, strerror(errno));

	if (link_open(d, err, sizeof(err)) < 0)
		die(err);
	if (link_vnet(d))
		iface_offloads_on(d);
	else
		iface_offloads_off(d);
	engine_start(d);
	unixdiag_init(d);

	inet_ntop(AF_INET, &d->conf.gateway, gw, sizeof(gw));
	if (!d->foreground) {
		envlog = getenv(TCPX_ENV_LOG);
		if (envlog != NULL && *envlog != '\0')
			snprintf(logpath, sizeof(logpath), "%s", envlog);
		else
			snprintf(logpath, sizeof(logpath), TCPX_LOGFILE_FMT,
			    d->conf.ifname);
		ready = daemonize(logpath);
	}
	/*
	 * After the fork: a signalfd wakes epoll only for signals of the
	 * process that created it, so one made before daemonizing would
	 * leave the daemon deaf to SIGTERM.
	 */
	if (loop_init(d, err, sizeof(err)) < 0)
		die(err);
	if (ctl_listen(d, err, sizeof(err)) < 0)
		die(err);
	if (pfh != NULL)
		pidfile_write(pfh);
	logi("serving %s/%u on %s (%s, mtu %u, gateway %s), control "
	    "@" TCPX_CTL_NAME_FMT ", %s", addr, d->conf.prefixlen,
	    d->conf.ifname, d->linktype == TCPX_LINK_ETHER ? "ethernet" :
	    "layer 3", d->mtu, d->conf.gateway.s_addr ? gw : "none",
	    d->conf.ifname, d->idle_exit ? "exits when idle" : "no idle exit");
	if (d->idle_exit > 0)
		logd("idle exit after %d s without programs or connections",
		    d->idle_exit);

	if (ready >= 0) {
		(void)write(ready, "1", 1);
		close(ready);
	}
	rc = loop_run(d);

	bridge_close_all(d);
	ctl_close_all(d);
	tcpx_engine_free(d->eng);
	d->eng = NULL;
	link_close(d);
	loop_fini(d);
	if (pfh != NULL)
		pidfile_remove(pfh);
	return rc < 0 ? 1 : 0;
}
