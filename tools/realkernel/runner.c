/*
 * bpfsig real-kernel runner: /init of the initramfs that src/realkernel/ boots under QEMU.
 *
 * A generic executor of lowered bpfsig-transcript/1 requests (src/realkernel/request.ts writes
 * them): buffers with their bytes, pointer and s32 relocations applied right before each call,
 * raw bpf(2) / add_key(2) / keyctl(2) / close(2) / dup2(2) calls, conditional stops, read-back of
 * buffers after a call, and the kernel log lines (/dev/kmsg, e.g. `audit: type=1334 …`) that a
 * step produced. It knows nothing about BPF attr layouts, keys or signatures: the host computes
 * every byte (and every signature), the guest only executes.
 *
 * Each case runs in a fresh child process (fork) that joins a fresh session keyring and clears
 * the user keyring, so cases do not leak into each other. Results go to a dedicated channel
 * (/dev/ttyS1, the second serial port, held at a high fd): a light-skeleton loader's cleanup can
 * close the loading process's fd 1 (spec: OBS-DEB-16), so stdout is never used for results.
 *
 * Request (one token list per line, see src/realkernel/request.ts):
 *   REQ 1
 *   CASE <name>
 *   BUF <id> <len> <hex|-> [fill-byte-hex]
 *   STEP <idx> <flags> [<dep>]  flags: '-' or letters: c = skip if the previous step failed,
 *                               d = skip if step <dep> failed (or was skipped),
 *                               k = collect the kernel log lines this step produced (audit barrier)
 *   PTR <buf> <off> <target>    write the u64 address of buffer <target> (-1: the fault address 0x10)
 *   I32 <buf> <off> <arg>       write an s32 (an fd or key serial) at buf+off
 *   CALL bpf <cmd> <attrbuf> <size> | add_key <typebuf> <descbuf|-1> <payloadbuf|-1> <ringarg>
 *      | keyctl <op> <arg> <arg> <arg> <arg> | close <arg> | dup2 <arg> <arg>
 *   OUT <buf>                   read the buffer back after the call
 *   ENDCASE
 *   arg: n<int> literal, r<step> the return of an earlier step, o<buf>,<off> the s32 in a buffer
 *        now, b<buf> a buffer's address
 * Results (one per line on the results channel):
 *   C <case> | R <step> <ret> <errno> | O <step> <buf> <hex> | K <step> <text> | X <step>
 *   E <case> <exit-status> | DONE <cases>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RES_FD 1000   /* results channel */
#define KMSG_FD 1001  /* /dev/kmsg, per case */
#define NL_FD 1002    /* NETLINK_AUDIT, for the log barrier */
#define FAULT_ADDR 0x10UL
#define MAX_STEPS 4096

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif
#ifndef KEYCTL_CLEAR
#define KEYCTL_CLEAR 7
#endif
#define KEY_SPEC_USER_KEYRING -4

struct buf {
	unsigned char *p;
	size_t len;
};

static struct buf *bufs;
static size_t nbufs;
static long step_ret[MAX_STEPS];
static int step_done[MAX_STEPS];

/* ---- output ---------------------------------------------------------------------------- */

static char obuf[1 << 16];
static size_t olen;

static void oflush(void)
{
	size_t off = 0;
	while (off < olen) {
		ssize_t n = write(RES_FD, obuf + off, olen - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	olen = 0;
}

static void oput(const char *s, size_t n)
{
	while (n) {
		size_t room = sizeof(obuf) - olen;
		size_t k = n < room ? n : room;
		memcpy(obuf + olen, s, k);
		olen += k;
		s += k;
		n -= k;
		if (olen == sizeof(obuf))
			oflush();
	}
}

static void oprintf(const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		oput(tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void ohex(const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char tmp[256];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		tmp[k++] = hx[p[i] >> 4];
		tmp[k++] = hx[p[i] & 15];
		if (k == sizeof(tmp)) {
			oput(tmp, k);
			k = 0;
		}
	}
	oput(tmp, k);
}

static void console(const char *msg)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		(void)!write(fd, msg, strlen(msg));
		close(fd);
	}
}

static void die(const char *what)
{
	char m[256];
	snprintf(m, sizeof(m), "bpfsig-runner: %s: %s\n", what, strerror(errno));
	console(m);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

/* ---- parsing helpers ------------------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct buf *getbuf(long id)
{
	if (id < 0 || (size_t)id >= nbufs || !bufs[id].p) {
		oprintf("! bad buffer %ld\n", id);
		oflush();
		_exit(3);
	}
	return &bufs[id];
}

static long arg_value(const char *a)
{
	switch (a[0]) {
	case 'n':
		return strtol(a + 1, NULL, 10);
	case 'r': {
		long s = strtol(a + 1, NULL, 10);
		if (s < 0 || s >= MAX_STEPS || !step_done[s])
			return -1;
		return step_ret[s];
	}
	case 'o': {
		char *end;
		long b = strtol(a + 1, &end, 10);
		long off = strtol(end + 1, NULL, 10);
		struct buf *bb = getbuf(b);
		int32_t v = 0;
		if (off >= 0 && (size_t)off + 4 <= bb->len)
			memcpy(&v, bb->p + off, 4);
		return v;
	}
	case 'b':
		return (long)(uintptr_t)getbuf(strtol(a + 1, NULL, 10))->p;
	}
	oprintf("! bad arg %s\n", a);
	oflush();
	_exit(3);
}

static char *next_tok(char **s)
{
	char *p = *s;
	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	char *t = p;
	while (*p && *p != ' ')
		p++;
	if (*p)
		*p++ = 0;
	*s = p;
	return t;
}

/* ---- the kernel log: barrier and collection ---------------------------------------------- */

static unsigned barrier_seq;

/* Send an AUDIT_USER-range message; it travels the same kauditd queue as the kernel's records, so
 * once it shows up in /dev/kmsg, every record queued before it has been printed too. */
static int send_barrier(char *tag, size_t taglen)
{
	struct {
		struct nlmsghdr h;
		char text[96];
	} m;
	memset(&m, 0, sizeof(m));
	snprintf(tag, taglen, "bpfsig-barrier-%u-%d", ++barrier_seq, (int)getpid());
	snprintf(m.text, sizeof(m.text), "%s", tag);
	m.h.nlmsg_len = NLMSG_LENGTH(strlen(m.text) + 1);
	m.h.nlmsg_type = 1121; /* AUDIT_TRUSTED_APP: a user message type */
	m.h.nlmsg_flags = NLM_F_REQUEST;
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	return sendto(NL_FD, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -1 : 0;
}

/* Emit the kernel log lines since the last call as `K <step> <text>`, up to the barrier; with
 * step < 0, only drain them (between cases: records of the last case's exit, e.g. op=UNLOAD). */
static void collect_kmsg(int step, int barrier)
{
	char tag[64] = "";
	int have_barrier = barrier && send_barrier(tag, sizeof(tag)) == 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char rec[8192];
	for (;;) {
		ssize_t n = read(KMSG_FD, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)
				continue; /* overwritten records: go on */
			if (errno != EAGAIN)
				return;
			if (!have_barrier)
				return;
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 3000) {
				if (step >= 0)
					oprintf("K %d bpfsig-runner: log barrier timed out\n", step);
				return;
			}
			struct pollfd pfd = {.fd = KMSG_FD, .events = POLLIN};
			poll(&pfd, 1, 50);
			continue;
		}
		rec[n] = 0;
		char *text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		char *nl = strchr(text, '\n'); /* continuation lines (" KEY=value") are dropped */
		if (nl)
			*nl = 0;
		if (have_barrier && strstr(text, tag))
			return;
		if (strstr(text, "bpfsig-barrier-"))
			continue; /* an earlier barrier */
		if (step >= 0)
			oprintf("K %d %s\n", step, text);
	}
}

/* ---- one case ---------------------------------------------------------------------------- */

static void run_case(char *lines)
{
	long cur = -1, prev = -1;
	int flags_c = 0, flags_k = 0, skip = 0;
	char *save = NULL;
	for (char *line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s = line;
		char *op = next_tok(&s);
		if (!op)
			continue;
		if (!strcmp(op, "ENDCASE"))
			break;
		if (!strcmp(op, "BUF")) {
			long id = strtol(next_tok(&s), NULL, 10);
			long len = strtol(next_tok(&s), NULL, 10);
			char *hex = next_tok(&s);
			char *fill = next_tok(&s);
			if (id < 0 || len < 0)
				continue;
			if ((size_t)id >= nbufs) {
				size_t n = (size_t)id + 64;
				bufs = realloc(bufs, n * sizeof(*bufs));
				memset(bufs + nbufs, 0, (n - nbufs) * sizeof(*bufs));
				nbufs = n;
			}
			/* page-aligned, at least one byte, so a pointer is never NULL */
			void *p = NULL;
			if (posix_memalign(&p, 4096, (size_t)(len ? len : 1)))
				die("posix_memalign");
			memset(p, fill ? hexval(fill[0]) * 16 + hexval(fill[1]) : 0, (size_t)(len ? len : 1));
			if (hex && strcmp(hex, "-"))
				for (long i = 0; i < len && hex[2 * i] && hex[2 * i + 1]; i++)
					((unsigned char *)p)[i] = (unsigned char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
			bufs[id].p = p;
			bufs[id].len = (size_t)len;
		} else if (!strcmp(op, "STEP")) {
			prev = cur;
			cur = strtol(next_tok(&s), NULL, 10);
			char *fl = next_tok(&s);
			char *dep = next_tok(&s);
			flags_c = fl && strchr(fl, 'c');
			flags_k = fl && strchr(fl, 'k');
			skip = flags_c && prev >= 0 && (!step_done[prev] || step_ret[prev] < 0);
			if (fl && strchr(fl, 'd') && dep) {
				long d = strtol(dep, NULL, 10);
				if (d >= 0 && d < MAX_STEPS && (!step_done[d] || step_ret[d] < 0))
					skip = 1;
			}
			if (cur < 0 || cur >= MAX_STEPS)
				_exit(3);
		} else if (skip) {
			if (!strcmp(op, "CALL")) {
				step_done[cur] = 0;
				step_ret[cur] = -1;
				oprintf("X %ld\n", cur);
			}
			continue;
		} else if (!strcmp(op, "PTR")) {
			struct buf *b = getbuf(strtol(next_tok(&s), NULL, 10));
			long off = strtol(next_tok(&s), NULL, 10);
			long t = strtol(next_tok(&s), NULL, 10);
			uint64_t addr = t < 0 ? FAULT_ADDR : (uint64_t)(uintptr_t)getbuf(t)->p;
			if (off >= 0 && (size_t)off + 8 <= b->len)
				memcpy(b->p + off, &addr, 8);
		} else if (!strcmp(op, "I32")) {
			struct buf *b = getbuf(strtol(next_tok(&s), NULL, 10));
			long off = strtol(next_tok(&s), NULL, 10);
			int32_t v = (int32_t)arg_value(next_tok(&s));
			if (off >= 0 && (size_t)off + 4 <= b->len)
				memcpy(b->p + off, &v, 4);
		} else if (!strcmp(op, "CALL")) {
			char *kind = next_tok(&s);
			long ret;
			errno = 0;
			if (!strcmp(kind, "bpf")) {
				long cmd = strtol(next_tok(&s), NULL, 10);
				struct buf *a = getbuf(strtol(next_tok(&s), NULL, 10));
				long size = strtol(next_tok(&s), NULL, 10);
				ret = syscall(SYS_bpf, cmd, a->p, (unsigned long)size);
			} else if (!strcmp(kind, "add_key")) {
				struct buf *type = getbuf(strtol(next_tok(&s), NULL, 10));
				long d = strtol(next_tok(&s), NULL, 10);
				long pl = strtol(next_tok(&s), NULL, 10);
				long ring = arg_value(next_tok(&s));
				ret = syscall(SYS_add_key, type->p, d < 0 ? NULL : getbuf(d)->p, pl < 0 ? NULL : getbuf(pl)->p,
					      pl < 0 ? 0 : getbuf(pl)->len, (int)ring);
			} else if (!strcmp(kind, "keyctl")) {
				long a[5];
				for (int i = 0; i < 5; i++) {
					char *t = next_tok(&s);
					a[i] = t ? arg_value(t) : 0;
				}
				ret = syscall(SYS_keyctl, a[0], a[1], a[2], a[3], a[4]);
			} else if (!strcmp(kind, "close")) {
				ret = close((int)arg_value(next_tok(&s)));
			} else if (!strcmp(kind, "dup2")) {
				long fd = arg_value(next_tok(&s));
				long nfd = arg_value(next_tok(&s));
				ret = dup2((int)fd, (int)nfd);
			} else {
				oprintf("! unknown call %s\n", kind);
				ret = -1;
				errno = ENOSYS;
			}
			int e = ret < 0 ? errno : 0;
			step_done[cur] = 1;
			step_ret[cur] = ret;
			oprintf("R %ld %ld %d\n", cur, ret, e);
			if (flags_k)
				collect_kmsg((int)cur, 1);
			oflush();
		} else if (!strcmp(op, "OUT")) {
			long id = strtol(next_tok(&s), NULL, 10);
			struct buf *b = getbuf(id);
			oprintf("O %ld %ld ", cur, id);
			ohex(b->p, b->len);
			oput("\n", 1);
		}
	}
	oflush();
}

static void setup_child_fds(void)
{
	int k = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k >= 0) {
		lseek(k, 0, SEEK_END);
		dup2(k, KMSG_FD);
		close(k);
	}
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (nl >= 0) {
		dup2(nl, NL_FD);
		close(nl);
	}
}

/* ---- init ---------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	char *p = malloc((size_t)st.st_size + 1);
	size_t off = 0;
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, p + off, (size_t)st.st_size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	p[off] = 0;
	close(fd);
	*len = off;
	return p;
}

int main(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* audit records reach the log through printk_ratelimit(): no limit (spec: OBS-DEB-2) */
	write_file("/proc/sys/kernel/printk_ratelimit", "0\n");
	write_file("/proc/sys/kernel/printk_ratelimit_burst", "100000\n");

	int r = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
	if (r < 0)
		die("open /dev/ttyS1");
	struct termios tio;
	if (tcgetattr(r, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(r, TCSANOW, &tio);
	}
	dup2(r, RES_FD);
	close(r);

	size_t len;
	char *req = read_all("/req", &len);
	if (!req)
		die("read /req");
	struct utsname_s {
		char s[6][65];
	} u;
	syscall(SYS_uname, &u);
	oprintf("U %s\n", u.s[2]);
	oflush();

	setup_child_fds(); /* the parent's own log reader, to drain between cases */
	int cases = 0;
	char *p = req;
	while ((p = strstr(p, "\nCASE ")) != NULL) {
		p++;
		char *eol = strchr(p, '\n');
		if (!eol)
			break;
		char name[256];
		size_t n = (size_t)(eol - p - 5) < sizeof(name) - 1 ? (size_t)(eol - p - 5) : sizeof(name) - 1;
		memcpy(name, p + 5, n);
		name[n] = 0;
		char *end = strstr(eol, "\nENDCASE");
		size_t clen = end ? (size_t)(end - eol) : strlen(eol);
		oprintf("C %s\n", name);
		oflush();
		pid_t pid = fork();
		if (pid == 0) {
			char *body = malloc(clen + 1);
			memcpy(body, eol, clen);
			body[clen] = 0;
			setsid();
			syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0L);
			syscall(SYS_keyctl, KEYCTL_CLEAR, (long)KEY_SPEC_USER_KEYRING);
			setup_child_fds();
			/* a hung case ends here; long enough for a whole vmlinux BTF read back as hex (~12 MB at
			 * ~250 kB/s on the serial port under TCG: vmlinux_btf.json) */
			alarm(180);
			run_case(body);
			_exit(0);
		}
		int st = 0;
		if (pid > 0)
			waitpid(pid, &st, 0);
		usleep(20000); /* let frees that the exit deferred (op=UNLOAD records) happen */
		collect_kmsg(-1, 1);
		oprintf("E %s %d\n", name, pid < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		oflush();
		cases++;
		p = end ? end + 1 : eol;
	}
	oprintf("DONE %d\n", cases);
	oflush();
	tcdrain(RES_FD);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
