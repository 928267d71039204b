/*
 * sandbox-run: the `sandbox` command's front for the form people repeat, `--policy P --exec PROGRAM ARGS...`.
 *
 *   sandbox-run --sandbox-front SCRIPT ARGS...      (the sandbox script runs it; by hand it says so and exits 125)
 *
 * The JVM compiles a policy and caches the result in a per-user directory (compiled.h): the launch plan with the
 * BPF filter in it; the sentences to print and the syscall names of the violation report are the build entry's.
 * sandbox-run finds the policy file the JVM would find (the same search path), hashes it, and when a verified entry
 * exists it forks, runs the cached plan (plan_run.c) with the exec step appended, forwards SIGINT/SIGTERM/SIGHUP,
 * waits, and reports how the program ended with Java's sentences. With no entry it has a JVM compile one
 * (recipe.h: the JVM decides, this process only makes the libseccomp calls it is sent) and runs that. Anything
 * else (another form, a policy file the cache cannot key) goes to the JVM path unchanged:
 * `/bin/sh SCRIPT --sandbox-jvm ARGS...`. It holds no policy logic: no JSON, no syscall names of its own, no
 * decisions about what to allow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build-id.h"
#include "compiled.h"
#include "plan.h"
#include "plan_run.h"
#include "recipe.h"
#include "sha256.h"

#define FRONT_ARG "--sandbox-front"
#define JVM_ARG "--sandbox-jvm"
/* dev.sandbox.policy.PolicyLoader.MAX_BYTES: a larger file is the JVM's to refuse. */
#define POLICY_MAX (1u << 20)
/* dev.sandbox.launch.ProgramPath: execvp's default when PATH is unset. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* dev.sandbox.launch.SeccompLog.WAIT_MS: how long the audit record of a kill is waited for. */
#define KMSG_WAIT_MS 200
#define HEADER_SIZE 44 /* u32 magic, u16 version, u16 sections, u8 key[32], u32 body_len */
/* dev.sandbox.launch.Supervisor: the longest executable name a record may carry. */
#define MAX_EXE 4096
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static const char *script;
static int nargs;
static char **args;

/* The JVM path, with the command line exactly as the sandbox script received it. */
__attribute__((noreturn)) static void jvm(void)
{
    char **argv = calloc((size_t)nargs + 4, sizeof *argv);
    if (argv != NULL) {
        argv[0] = "/bin/sh";
        argv[1] = (char *)script;
        argv[2] = JVM_ARG;
        memcpy(argv + 3, args, (size_t)nargs * sizeof *argv);
        execv("/bin/sh", argv);
    }
    fprintf(stderr, "sandbox: cannot start %s: %s\n", script, strerror(errno));
    exit(LAUNCHER_FAILED);
}

struct bytes {
    unsigned char *p;
    size_t len;
};

struct text {
    char s[PATH_MAX * 2];
};

/* Java's Path.of(dir).resolve(name).toString(): repeated slashes collapse, a trailing slash goes. */
static int join(struct text *out, const char *dir, const char *name, const char *suffix)
{
    size_t n = 0, cap = sizeof out->s;
    for (const char *p = dir; *p; p++) {
        if (*p == '/' && n > 0 && out->s[n - 1] == '/')
            continue;
        if (n + 1 >= cap)
            return -1;
        out->s[n++] = *p;
    }
    if (n > 1 && out->s[n - 1] == '/')
        n--;
    if (n > 0 && out->s[n - 1] != '/') {
        if (n + 1 >= cap)
            return -1;
        out->s[n++] = '/';
    }
    int w = snprintf(out->s + n, cap - n, "%s%s", name, suffix);
    return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}

static int regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dev.sandbox.policy.PolicyResolver: the file a --policy argument names, and how messages name it. */
static int resolve_policy(const char *arg, const char *home, struct text *path)
{
    size_t len = strlen(arg);
    if (strchr(arg, '/') != NULL || (len >= 5 && strcmp(arg + len - 5, ".json") == 0)) {
        if (snprintf(path->s, sizeof path->s, "%s", arg) >= (int)sizeof path->s)
            return -1;
        return 0;
    }
    char cwd[PATH_MAX];
    struct text dir;
    const char *places[4];
    int count = 0;
    places[count++] = "policies";
    if (getcwd(cwd, sizeof cwd) == NULL || strcmp(cwd, home) != 0) {
        if (join(&dir, home, "policies", "") != 0)
            return -1;
        places[count++] = dir.s;
    }
    for (int i = 0; i < count; i++)
        if (join(path, places[i], arg, ".json") == 0 && regular_file(path->s))
            return 0;
    struct text config;
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg != NULL && xdg[0] != '\0') {
        if (join(&config, xdg, "sandbox/policies", "") != 0)
            return -1;
    } else {
        /* Java's user.home comes from the password database, not $HOME. */
        struct passwd *pw = getpwuid(getuid());
        if (pw == NULL || join(&config, pw->pw_dir, ".config/sandbox/policies", "") != 0)
            return -1;
    }
    if (join(path, config.s, arg, ".json") == 0 && regular_file(path->s))
        return 0;
    if (join(path, "/etc/sandbox/policies", arg, ".json") == 0 && regular_file(path->s))
        return 0;
    return -1;
}

/* Reads a regular file of at most max bytes, opened by the caller; closes it. */
static int read_file(int fd, size_t max, struct bytes *out, struct stat *st)
{
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || (size_t)st->st_size > max) {
        close(fd);
        return -1;
    }
    out->len = (size_t)st->st_size;
    out->p = malloc(out->len + 1);
    size_t got = 0;
    while (out->p != NULL && got < out->len) {
        ssize_t n = read(fd, out->p + got, out->len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return out->p != NULL && got == out->len ? 0 : -1;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void cache_key(const struct bytes *policy, unsigned char key[32])
{
    unsigned char digest[32];
    char policy_hex[65];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, policy->p, policy->len);
    sha256_final(&s, digest);
    hex(digest, 32, policy_hex);

    struct utsname u;
    if (uname(&u) != 0)
        jvm();
    sha256_init(&s);
    const char *parts[] = {
        COMPILED_KEY_TEXT, "build ", SANDBOX_BUILD_ID, "\n", "kernel ", u.release, " ", u.version, "\n",
        "policy ", policy_hex, "\n",
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        sha256_update(&s, parts[i], strlen(parts[i]));
    sha256_final(&s, key);
}

static uint16_t u16_at(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t u32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t u64_at(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

struct entry {
    struct bytes plan, libseccomp, messages, names, supervisor, warnings;
};

/* The key of the names entry: this build. */
static void names_key(unsigned char key[32])
{
    struct sha256 s;
    sha256_init(&s);
    const char *parts[] = { COMPILED_NAMES_KEY_TEXT, "build ", SANDBOX_BUILD_ID, "\n" };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        sha256_update(&s, parts[i], strlen(parts[i]));
    sha256_final(&s, key);
}

/* The cache directory, when it is ours alone: owned by us, no access for others, not a symlink. */
static int open_cache(void)
{
    struct text dir;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg != NULL && xdg[0] == '/') {
        if (join(&dir, xdg, "sandbox", "") != 0)
            return -1;
    } else if (home != NULL && home[0] == '/') {
        if (join(&dir, home, ".cache/sandbox", "") != 0)
            return -1;
    } else {
        return -1;
    }
    int dfd = open(dir.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    struct stat st;
    if (fstat(dfd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(dfd);
        return -1;
    }
    return dfd;
}

/*
 * The entry for key must be ours alone too, and say what we expect: magic, version, key, checksum, every length,
 * and the libseccomp that made it must still be the same file. Anything else: -1, and the JVM path compiles the
 * policy again and replaces the entry.
 */
static int check_entry(const struct bytes *file, const unsigned char *key, struct entry *e);

static int load_entry(int dfd, const unsigned char key[32], struct bytes *file, struct entry *e)
{
    struct stat st;
    char name[65];
    hex(key, 32, name);
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (read_file(fd, COMPILED_MAX, file, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022) != 0)
        return -1;
    return check_entry(file, key, e);
}

/* The build entry the build made (compiled.h, BUILD_ENTRY): ours or root's, writable by nobody else, and made for
 * this build with the libseccomp here. */
static int load_build_entry(const char *home, const unsigned char key[32], struct bytes *file, struct entry *e)
{
    struct text path;
    struct stat st;
    if (join(&path, home, BUILD_ENTRY, "") != 0)
        return -1;
    int fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (read_file(fd, COMPILED_MAX, file, &st) != 0 || (st.st_uid != geteuid() && st.st_uid != 0)
        || (st.st_mode & 022) != 0 || check_entry(file, key, e) != 0 || e->names.p == NULL || e->messages.p == NULL)
        return -1;
    return 0;
}

/* The checks of load_entry on bytes in memory; key NULL: an entry the JVM just made for the bytes it parsed. */
static int check_entry(const struct bytes *file, const unsigned char *key, struct entry *e)
{
    struct stat st;
    if (file->len < HEADER_SIZE + 8 || file->len > COMPILED_MAX)
        return -1;
    const unsigned char *p = file->p;
    uint32_t body_len = u32_at(p + 40);
    if (u32_at(p) != COMPILED_MAGIC || u16_at(p + 4) != COMPILED_VERSION || (key != NULL && memcmp(p + 8, key, 32) != 0)
        || body_len != file->len - HEADER_SIZE - 8)
        return -1;
    uint64_t sum = FNV_OFFSET;
    for (size_t i = 0; i < HEADER_SIZE + (size_t)body_len; i++)
        sum = (sum ^ p[i]) * FNV_PRIME;
    if (sum != u64_at(p + HEADER_SIZE + body_len))
        return -1;

    memset(e, 0, sizeof *e);
    size_t off = HEADER_SIZE, end = HEADER_SIZE + body_len;
    for (uint16_t i = 0, n = u16_at(p + 6); i < n; i++) {
        if (end - off < 8)
            return -1;
        uint16_t type = u16_at(p + off);
        uint32_t len = u32_at(p + off + 4);
        off += 8;
        if (end - off < len)
            return -1;
        struct bytes b = { file->p + off, len };
        switch (type) {
        case SECTION_PLAN: e->plan = b; break;
        case SECTION_LIBSECCOMP: e->libseccomp = b; break;
        case SECTION_MESSAGES: e->messages = b; break;
        case SECTION_NAMES: e->names = b; break;
        case SECTION_SUPERVISOR: e->supervisor = b; break;
        case SECTION_WARNINGS: e->warnings = b; break;
        default: return -1;
        }
        off += len;
    }
    if (off != end || e->libseccomp.len < 33 || e->libseccomp.p[e->libseccomp.len - 1] != '\0')
        return -1;

    /* The filter is what this libseccomp made of the policy: an upgraded library compiles it again. */
    const unsigned char *l = e->libseccomp.p;
    if (stat((const char *)l + 32, &st) != 0 || (uint64_t)st.st_dev != u64_at(l) || (uint64_t)st.st_ino != u64_at(l + 8)
        || (uint64_t)st.st_size != u64_at(l + 16)
        || (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec != u64_at(l + 24))
        return -1;
    return 0;
}

struct message {
    uint32_t exit;
    const unsigned char *text;
    uint32_t len;
};

/* The record for (id, step, err), else the one for (id, step, any errno). */
static int find_message(const struct entry *e, uint32_t id, uint32_t step, int32_t err, struct message *m)
{
    int found = 0;
    for (size_t off = 0; e->messages.len - off >= 20;) {
        const unsigned char *r = e->messages.p + off;
        uint32_t len = u32_at(r + 16);
        if (e->messages.len - off - 20 < len)
            break;
        if (u32_at(r) == id && u32_at(r + 4) == step) {
            int32_t rerr = (int32_t)u32_at(r + 8);
            if (rerr == err || (rerr == -1 && !found)) {
                *m = (struct message) { u32_at(r + 12), r + 20, len };
                found = 1;
                if (rerr == err)
                    return 1;
            }
        }
        off += 20 + (size_t)len;
    }
    return found;
}

struct values {
    const char *program, *strerror, *syscall, *policy, *number, *arch, *tgid, *thread, *exe;
};

/* "sandbox: " + the sentence with its values filled in, in one write. */
static void say(const unsigned char *text, size_t len, const struct values *v)
{
    size_t cap = 64 + len, n = 0;
    const char *fills[] = { v->program, v->strerror, v->syscall, v->policy, v->number, v->arch, v->tgid, v->thread,
        v->exe };
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++)
        cap += fills[i] != NULL ? strlen(fills[i]) : 0;
    cap *= 2; /* a value may appear more than once: bounded by the checks below anyway */
    char *out = malloc(cap);
    if (out == NULL)
        return;
    n = (size_t)snprintf(out, cap, "sandbox: ");
    for (size_t i = 0; i < len; i++) {
        const char *fill = NULL;
        if (text[i] == MSG_ARG && i + 1 < len) {
            switch (text[++i]) {
            case 'p': fill = v->program; break;
            case 'e': fill = v->strerror; break;
            case 's': fill = v->syscall; break;
            case 'f': fill = v->policy; break;
            case 'n': fill = v->number; break;
            case 'a': fill = v->arch; break;
            case 't': fill = v->tgid; break;
            case 'i': fill = v->thread; break;
            case 'x': fill = v->exe; break;
            }
            fill = fill != NULL ? fill : "";
            size_t fl = strlen(fill);
            if (n + fl + 2 > cap)
                break;
            memcpy(out + n, fill, fl);
            n += fl;
        } else {
            if (n + 2 > cap)
                break;
            out[n++] = (char)text[i];
        }
    }
    out[n++] = '\n';
    ssize_t w = write(2, out, n);
    (void)w;
    free(out);
}

/* dev.sandbox.launch.ProgramPath: execvp's search, so that the plan execs one exact path. */
static char *resolve_program(const char *program, const char *shown, const struct entry *e)
{
    if (strchr(program, '/') != NULL)
        return strdup(program);
    const char *path = getenv("PATH");
    char *dirs = strdup(path != NULL ? path : DEFAULT_PATH);
    char *denied = NULL;
    struct text candidate;
    for (char *dir = dirs, *next; dirs != NULL && dir != NULL; dir = next) {
        next = strchr(dir, ':');
        if (next != NULL)
            *next++ = '\0';
        /* As ProgramPath builds it: the entry, a slash, the name, bytes as they are. */
        int w = snprintf(candidate.s, sizeof candidate.s, "%s/%s", dir[0] != '\0' ? dir : ".", program);
        if (w < 0 || (size_t)w >= sizeof candidate.s || !regular_file(candidate.s))
            continue;
        if (access(candidate.s, X_OK) == 0) {
            free(denied);
            free(dirs);
            return strdup(candidate.s);
        }
        if (denied == NULL)
            denied = strdup(candidate.s); /* execve reports EACCES for it, as execvp would */
    }
    free(dirs);
    if (denied != NULL)
        return denied;
    struct message m;
    if (!find_message(e, MSG_NOT_IN_PATH, 0, -1, &m))
        jvm();
    struct values v = { .program = shown };
    say(m.text, m.len, &v);
    exit((int)m.exit);
}

/* The cached plan, with the exec step appended: path NUL argv0 NUL argv1 NUL ... */
static struct bytes with_exec(const struct bytes *plan, const char *path, char **argv, int argc)
{
    struct plan_header hdr;
    if (plan->len < sizeof hdr)
        jvm();
    memcpy(&hdr, plan->p, sizeof hdr);
    if (hdr.magic != PLAN_MAGIC || hdr.version != PLAN_VERSION || hdr.count == UINT16_MAX)
        jvm();
    size_t payload = strlen(path) + 1;
    for (int i = 0; i < argc; i++)
        payload += strlen(argv[i]) + 1;
    if (payload > PLAN_MAX)
        jvm();
    struct bytes out = { malloc(plan->len + sizeof(struct plan_record) + payload), 0 };
    if (out.p == NULL)
        jvm();
    hdr.count++;
    memcpy(out.p, &hdr, sizeof hdr);
    memcpy(out.p + sizeof hdr, plan->p + sizeof hdr, plan->len - sizeof hdr);
    out.len = plan->len;
    struct plan_record rec = { STEP_EXEC, 0, (uint32_t)payload };
    memcpy(out.p + out.len, &rec, sizeof rec);
    out.len += sizeof rec;
    size_t n = strlen(path) + 1;
    memcpy(out.p + out.len, path, n);
    out.len += n;
    for (int i = 0; i < argc; i++) {
        n = strlen(argv[i]) + 1;
        memcpy(out.p + out.len, argv[i], n);
        out.len += n;
    }
    return out;
}

static volatile pid_t child;

static void forward(int sig)
{
    int saved = errno;
    kill(child, sig);
    errno = saved;
}

/* What posix_spawn's SETSIGDEF|SETSIGMASK give the JVM path's program: default dispositions, nothing blocked.
 * glibc keeps its own two real-time signals (32, 33) out of it, and so do we. */
static void default_signals(void)
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = { SIG_DFL, 0, NULL, 0 };
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && sig != 32 && sig != 33)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
}

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The value after `name` (e.g. "pid=") where name starts a word, between from and end; NULL if absent. */
static const char *field(const char *from, const char *end, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = from; p + n <= end; p++)
        if (memcmp(p, name, n) == 0 && (p == from || !word_char(p[-1])))
            return p + n;
    return NULL;
}

/*
 * dev.sandbox.launch.SeccompLog: the kernel logs a KILL_PROCESS action as an audit record (type 1326) that reaches
 * /dev/kmsg when no audit daemon takes it; reading it needs CAP_SYSLOG when kernel.dmesg_restrict is 1.
 * The kernel's audit thread prints the record a moment after the kill, so an empty log is waited on for a while.
 * Returns 1 with the arch and number of the syscall that got pid killed.
 */
static int killed_syscall(pid_t pid, uint32_t *arch, unsigned long long *nr)
{
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int found = 0;
    char buf[8193];
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0 && errno == EPIPE)
            continue; /* a record was overwritten while we read; go on with the next */
        if (n < 0 && errno == EAGAIN && !found) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (waited < KMSG_WAIT_MS && poll(&p, 1, (int)(KMSG_WAIT_MS - waited)) > 0)
                continue;
        }
        if (n <= 0)
            break;
        buf[n] = '\0';
        char *end = memchr(buf, '\n', (size_t)n);
        end = end != NULL ? end : buf + n;
        const char *t = field(buf, end, "type=1326 ");
        const char *p = t != NULL ? field(t, end, "pid=") : NULL;
        char *after;
        if (p == NULL)
            continue;
        unsigned long got = strtoul(p, &after, 10);
        if (after == p || word_char(*after))
            continue;
        const char *a = field(after, end, "arch=");
        if (a == NULL)
            continue;
        unsigned long long a_val = strtoull(a, &after, 16);
        if (after == a || word_char(*after))
            continue;
        const char *s = field(after, end, "syscall=");
        if (s == NULL)
            continue;
        unsigned long long s_val = strtoull(s, &after, 10);
        if (after == s || word_char(*after) || got != (unsigned long)pid)
            continue;
        *arch = (uint32_t)a_val;
        *nr = s_val;
        found = 1;
    }
    close(fd);
    return found;
}

/* How the violation report names the syscall: Java's names for this libseccomp, or its sentence for a number
 * that has none. Returns a malloc'd string. */
static char *syscall_name(const struct entry *e, uint32_t arch, unsigned long long nr)
{
    for (size_t off = 0; nr <= UINT32_MAX && e->names.len - off >= 12;) {
        const unsigned char *r = e->names.p + off;
        uint32_t len = u32_at(r + 8);
        if (e->names.len - off - 12 < len)
            break;
        if (u32_at(r) == arch && u32_at(r + 4) == nr)
            return strndup((const char *)r + 12, len);
        off += 12 + (size_t)len;
    }
    /* MSG_SYSCALL_UNKNOWN records: step = the arch (0: an arch of no name), err = bits of the number that select
     * the record and are cleared in the number shown (the x32 bit); the record with the most such bits wins. */
    const unsigned char *best = NULL;
    uint32_t best_bits = 0;
    for (int pass = 0; pass < 2 && best == NULL; pass++) {
        uint32_t want = pass == 0 ? arch : 0;
        for (size_t off = 0; e->messages.len - off >= 20;) {
            const unsigned char *r = e->messages.p + off;
            uint32_t len = u32_at(r + 16), bits = u32_at(r + 8);
            if (e->messages.len - off - 20 < len)
                break;
            if (u32_at(r) == MSG_SYSCALL_UNKNOWN && u32_at(r + 4) == want && (nr & bits) == bits
                && (best == NULL || bits > best_bits)) {
                best = r;
                best_bits = bits;
            }
            off += 20 + (size_t)len;
        }
    }
    if (best == NULL)
        return NULL;
    char number[24], archhex[12];
    snprintf(number, sizeof number, "%llu", nr & ~(unsigned long long)best_bits);
    snprintf(archhex, sizeof archhex, "%x", arch);
    const unsigned char *text = best + 20;
    uint32_t len = u32_at(best + 16);
    size_t cap = 2 * (size_t)len + sizeof number + sizeof archhex, n = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    for (uint32_t i = 0; i < len; i++) {
        const char *fill = NULL;
        char one[2] = { (char)text[i], '\0' };
        if (text[i] == MSG_ARG && i + 1 < len)
            fill = text[++i] == 'n' ? number : text[i] == 'a' ? archhex : "";
        else
            fill = one;
        size_t fl = strlen(fill);
        if (n + fl + 1 > cap)
            break;
        memcpy(out + n, fill, fl);
        n += fl;
    }
    out[n] = '\0';
    return out;
}

/* The length of the valid UTF-8 sequence at p (1-4) with its code point, or 0: what Java's decoder accepts. */
static int utf8_char(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    unsigned char b = p[0];
    int len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
        *cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        *cp = b & 0x0f;
        lo = b == 0xe0 ? 0xa0 : 0x80;
        hi = b == 0xed ? 0x9f : 0xbf; /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        *cp = b & 0x07;
        lo = b == 0xf0 ? 0x90 : 0x80;
        hi = b == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (end - p < len || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 1; i < len; i++) {
        if (i > 1 && (p[i] < 0x80 || p[i] > 0xbf))
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3f);
    }
    return len;
}

/* Whether the sandbox's messages are UTF-8: the JVM takes its stderr's charset from the locale (LC_CTYPE). */
static int utf8_output(void)
{
    static int known = -1;
    if (known < 0) {
        setlocale(LC_CTYPE, "");
        known = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    }
    return known;
}

/*
 * dev.sandbox.launch.Argv.show: bytes for a message. UTF-8 text as it is when the messages' charset has it, every
 * byte that is not valid UTF-8 (or that the charset lacks) as \xNN, control characters escaped. Returns a malloc'd
 * string.
 */
static char *show(const char *s, size_t n)
{
    char *out = malloc(4 * n + 1), *o = out;
    if (out == NULL)
        jvm();
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        uint32_t c;
        int len = utf8_char(p, end, &c);
        if (len == 0) {
            o += sprintf(o, "\\x%02x", *p++);
            continue;
        }
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
            o += c == '\n' ? sprintf(o, "\\n") : c == '\t' ? sprintf(o, "\\t") : c == '\r' ? sprintf(o, "\\r")
                : sprintf(o, "\\x%02x", c);
        } else if (c >= 0x80 && !utf8_output()) {
            for (int i = 0; i < len; i++)
                o += sprintf(o, "\\x%02x", p[i]);
        } else {
            memcpy(o, p, (size_t)len);
            o += len;
        }
        p += len;
    }
    *o = '\0';
    return out;
}

/* What the supervisor of STEP_SECCOMP_NOTIFY reported (plan.h, struct notify_record). */
struct violation {
    int32_t pid, tgid, nr, signal;
    uint32_t arch;
    char *exe;
};

struct violations {
    struct violation *v;
    size_t count, cap;
    unsigned char buf[65536 + sizeof(struct notify_record) + MAX_EXE];
    size_t have;
    int eof;
};

/* dev.sandbox.launch.Supervisor.drain and parse: everything the pipe holds now (it is non-blocking). */
static void collect(int fd, struct violations *vs)
{
    while (!vs->eof) {
        ssize_t n = read(fd, vs->buf + vs->have, sizeof vs->buf - vs->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            vs->eof = 1;
            return;
        }
        vs->have += (size_t)n;
        size_t off = 0;
        while (vs->have - off >= sizeof(struct notify_record)) {
            struct notify_record r;
            memcpy(&r, vs->buf + off, sizeof r);
            if (r.exe_len > MAX_EXE) {
                vs->eof = 1; /* not our protocol: stop reading rather than guess */
                return;
            }
            if (vs->have - off - sizeof r < r.exe_len)
                break;
            if (r.kind == NOTIFY_VIOLATION) {
                if (vs->count == vs->cap) {
                    vs->cap = vs->cap ? 2 * vs->cap : 16;
                    vs->v = realloc(vs->v, vs->cap * sizeof *vs->v);
                    if (vs->v == NULL)
                        exit(LAUNCHER_FAILED);
                }
                struct violation *v = &vs->v[vs->count++];
                *v = (struct violation) { r.pid, r.tgid, r.nr, r.signal, r.arch, NULL };
                v->exe = r.exe_len == 0 ? strdup("?") : show((const char *)vs->buf + off + sizeof r, r.exe_len);
            }
            off += sizeof r + r.exe_len;
        }
        memmove(vs->buf, vs->buf + off, vs->have - off);
        vs->have -= off;
    }
}

/* dev.sandbox.launch.Supervisor.waitFor: records are read while the program runs, so that the pipe never fills. */
static void await_program(pid_t pid, int fd, struct violations *vs)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return; /* Linux < 5.3: the records are read after the exit */
    for (;;) {
        struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = vs->eof ? -1 : fd, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents != 0)
            collect(fd, vs);
        if (p[0].revents != 0)
            break;
    }
    close(pidfd);
}

/*
 * dev.sandbox.launch.StaticRun.report: how violations ended processes, in Java's sentences. Returns whether a policy
 * kill ended the program itself.
 */
static int report(const struct entry *e, pid_t pid, int status, const struct violations *vs, const char *program,
                  const char *policy)
{
    const struct violation *own = NULL;
    for (size_t i = 0; i < vs->count && own == NULL; i++)
        if (vs->v[i].tgid == pid && vs->v[i].signal != 0)
            own = &vs->v[i];
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int killed = sig == SIGSYS || (sig == SIGKILL && own != NULL);
    struct message m;
    if (killed) {
        char *name = NULL;
        uint32_t arch = 0;
        unsigned long long nr = 0;
        if (own != NULL)
            name = syscall_name(e, own->arch, (uint32_t)own->nr);
        else if (sig == SIGSYS && killed_syscall(pid, &arch, &nr))
            name = syscall_name(e, arch, nr);
        struct values v = { .program = program, .syscall = name, .policy = policy };
        if (find_message(e, name != NULL ? MSG_VIOLATION : MSG_VIOLATION_UNNAMED, (uint32_t)sig, -1, &m))
            say(m.text, m.len, &v);
        free(name);
    }
    size_t shown = 0;
    for (size_t i = 0; i < vs->count; i++) {
        const struct violation *r = &vs->v[i];
        if (r == own)
            continue;
        if (shown == 1) {
            size_t more = vs->count - (own != NULL ? 1 : 0) - shown;
            char number[24];
            snprintf(number, sizeof number, "%zu", more);
            struct values v = { .number = number };
            if (find_message(e, MSG_MORE, more == 1, -1, &m))
                say(m.text, m.len, &v);
            break;
        }
        char tgid[16], thread[16];
        snprintf(tgid, sizeof tgid, "%d", r->tgid);
        snprintf(thread, sizeof thread, "%d", r->pid);
        char *name = syscall_name(e, r->arch, (uint32_t)r->nr);
        struct values v = { .syscall = name, .policy = policy, .tgid = tgid, .thread = thread, .exe = r->exe };
        uint32_t how = r->signal == SIGSYS || r->signal == SIGKILL ? (uint32_t)r->signal : 0;
        if (find_message(e, MSG_ELSEWHERE, how, r->tgid != r->pid, &m))
            say(m.text, m.len, &v);
        free(name);
        shown++;
    }
    return killed;
}

/* All of len bytes, through EINTR and short counts; -1 on an error or end of file. */
static int transfer(int fd, void *data, size_t len, int writing)
{
    unsigned char *p = data;
    while (len > 0) {
        ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    return transfer(fd, (void *)data, len, 1);
}

static int read_all(int fd, void *data, size_t len)
{
    return transfer(fd, data, len, 0);
}

static int read_u32(int fd, uint32_t *v)
{
    unsigned char b[4];
    if (read_all(fd, b, 4) != 0)
        return -1;
    *v = u32_at(b);
    return 0;
}

/* One length-prefixed part of a reply, at most max bytes. */
static int read_part(int fd, size_t max, struct bytes *out)
{
    uint32_t len;
    if (read_u32(fd, &len) != 0 || len > max)
        return -1;
    out->len = len;
    out->p = malloc(len + 1);
    return out->p != NULL && read_all(fd, out->p, len) == 0 ? 0 : -1;
}

/* The JVM that compiled this run's policy; reaped when we end, so that its cache entry is written by then. */
static pid_t compiler = -1;

static void reap_compiler(void)
{
    if (compiler > 0)
        while (waitpid(compiler, NULL, 0) < 0 && errno == EINTR)
            ;
    compiler = -1;
}

/*
 * No entry for this policy yet: the JVM compiles it (recipe.h) without loading any native binding, we carry out its
 * libseccomp calls, and it sends the entry (and the names entry unless ours is current) and caches it meanwhile.
 * Returns with e (and names, when sent) filled from the entry it made. When the JVM refused the policy it has said why
 * on stderr: we exit with its code. Anything unexpected goes to the JVM path, which runs the policy itself.
 */
static void compile_in_jvm(const char *home, const char *policy_arg, const struct bytes *policy,
                           const unsigned char key[32], int names_current, struct bytes *file, struct entry *e,
                           struct bytes *names_file, struct entry *names)
{
    char lib_path[PATH_MAX];
    struct recipe_lib *lib = recipe_open(lib_path, sizeof lib_path);
    struct recipe_buf request = { 0 };
    if (lib == NULL)
        jvm(); /* it says in its own words that libseccomp cannot be loaded */
    size_t path_len = strlen(lib_path);
    struct recipe_buf *q = &request;
    uint32_t flags = names_current ? REQUEST_NAMES_CURRENT : 0;
    if (recipe_append_u32(q, REQUEST_MAGIC) != 0 || recipe_append_u32(q, flags) != 0
        || recipe_append_u32(q, (uint32_t)path_len) != 0 || recipe_append(q, lib_path, path_len) != 0
        || recipe_append_u32(q, 0) != 0)
        jvm();
    size_t table_at = request.len;
    if (recipe_names(lib, &request) != 0)
        jvm();
    uint32_t table_len = (uint32_t)(request.len - table_at);
    for (int i = 0; i < 4; i++)
        request.p[table_at - 4 + (size_t)i] = (unsigned char)(table_len >> (8 * i));
    /* The policy as we read and keyed it: an entry the JVM makes of the same bytes takes our key. */
    if (recipe_append_u32(q, (uint32_t)policy->len) != 0 || recipe_append(q, policy->p, policy->len) != 0
        || recipe_append_u32(q, 32) != 0 || recipe_append(q, key, 32) != 0)
        jvm();

    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        jvm();
    /* A JVM that dies early must not kill us with SIGPIPE: we report how it ended instead. */
    struct sigaction ign, saved_pipe;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &saved_pipe);
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0)
        jvm();
    if (pid == 0) {
        /* It dies with us: no JVM outlives the sandbox. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != self)
            _exit(LAUNCHER_FAILED);
        sigaction(SIGPIPE, &saved_pipe, NULL);
        /* The pipes may sit on the fds they go to: each goes above them all first, then to its place. */
        int in = fcntl(to[0], F_DUPFD_CLOEXEC, 16), out = fcntl(from[1], F_DUPFD_CLOEXEC, 16);
        if (in < 0 || out < 0 || dup2(in, COMPILE_REQUEST_FD) < 0 || dup2(out, COMPILE_REPLY_FD) < 0)
            _exit(LAUNCHER_FAILED);
        char *argv[] = { "/bin/sh", (char *)script, COMPILE_ARG, (char *)home, (char *)policy_arg, NULL };
        execv("/bin/sh", argv);
        _exit(LAUNCHER_FAILED);
    }
    compiler = pid;
    atexit(reap_compiler);
    close(to[0]);
    close(from[1]);
    int ok = write_all(to[1], request.p, request.len) == 0;
    free(request.p);
    int entry = 0;
    while (ok && !entry) {
        uint32_t magic, kind;
        if (read_u32(from[0], &magic) != 0 || magic != REPLY_MAGIC || read_u32(from[0], &kind) != 0)
            break;
        if (kind == REPLY_RECIPE) {
            struct bytes recipe;
            struct recipe_buf bpf = { 0 }, reply = { 0 };
            uint32_t op;
            int err;
            if (read_part(from[0], COMPILED_MAX, &recipe) != 0)
                break;
            int rc = recipe_export(lib, recipe.p, recipe.len, &bpf, &op, &err);
            free(recipe.p);
            const char *text = rc == 0 ? NULL : strerror(err);
            size_t len = rc == 0 ? bpf.len : strlen(text);
            ok = recipe_append_u32(&reply, rc == 0 ? 0 : (uint32_t)err) == 0
                && recipe_append_u32(&reply, rc == 0 ? 0 : op) == 0 && recipe_append_u32(&reply, (uint32_t)len) == 0
                && recipe_append(&reply, rc == 0 ? (void *)bpf.p : text, len) == 0
                && write_all(to[1], reply.p, reply.len) == 0;
            free(bpf.p);
            free(reply.p);
        } else if (kind == REPLY_ENTRY) {
            struct bytes n = { NULL, 0 };
            if (read_part(from[0], COMPILED_MAX, file) != 0 || read_part(from[0], COMPILED_MAX, &n) != 0
                || check_entry(file, NULL, e) != 0 || e->plan.p == NULL)
                break;
            if (n.len > 0) {
                *names_file = n;
                if (check_entry(names_file, NULL, names) != 0 || names->names.p == NULL || names->messages.p == NULL)
                    break;
            }
            entry = 1;
        } else {
            break; /* REPLY_JVM, or a reply we do not know */
        }
    }
    close(to[1]);
    close(from[0]);
    sigaction(SIGPIPE, &saved_pipe, NULL);
    if (entry)
        return; /* it writes the cache while the program runs; reaped when we end */
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            jvm();
    compiler = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        exit(WEXITSTATUS(status)); /* a policy it refused, in its words on stderr */
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP) {
            const char *name = sigabbrev_np(sig);
            fprintf(stderr, "sandbox: the JVM compiling %s was killed by SIG%s\n", show(policy_arg, strlen(policy_arg)),
                    name != NULL ? name : "?");
        }
        exit(128 + sig);
    }
    jvm();
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], FRONT_ARG) != 0) {
        fprintf(stderr, "sandbox-run: this is an internal helper of `sandbox`; run `sandbox --help` instead\n");
        return LAUNCHER_FAILED;
    }
    script = argv[2];
    args = argv + 3;
    nargs = argc - 3;

    /* Exactly `--policy P --exec PROGRAM ARGS...`, split where Main splits (the first --exec); a P that picocli
     * might read differently (an option, an @file) is the JVM's. */
    if (nargs < 4 || strcmp(args[0], "--policy") != 0 || strcmp(args[2], "--exec") != 0 || args[1][0] == '\0'
        || args[1][0] == '-' || args[1][0] == '@' || args[3][0] == '\0')
        jvm();
    const char *policy_arg = args[1];
    const char *program = args[3];

    /* The sandbox script passes its home as `pwd -P` of its directory; so do we. */
    char dir[PATH_MAX], home[PATH_MAX];
    const char *slash = strrchr(script, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == script)
        snprintf(dir, sizeof dir, "/");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - script), script) >= (int)sizeof dir)
        jvm();
    if (realpath(dir, home) == NULL)
        jvm();

    struct text policy_path;
    struct bytes policy, file;
    struct stat st;
    if (resolve_policy(policy_arg, home, &policy_path) != 0 || !regular_file(policy_path.s)
        || read_file(open(policy_path.s, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), POLICY_MAX, &policy, &st) != 0)
        jvm();
    unsigned char key[32], nkey[32];
    cache_key(&policy, key);
    names_key(nkey);
    struct entry e, names;
    struct bytes names_file;
    int dfd = open_cache();
    int have = dfd >= 0 && load_entry(dfd, key, &file, &e) == 0 && e.plan.p != NULL;
    int have_names = (dfd >= 0 && load_entry(dfd, nkey, &names_file, &names) == 0 && names.names.p != NULL
                      && names.messages.p != NULL) || load_build_entry(home, nkey, &names_file, &names) == 0;
    if (dfd >= 0)
        close(dfd);
    if (!have || !have_names)
        compile_in_jvm(home, policy_arg, &policy, key, have_names, &file, &e, &names_file, &names);
    e.names = names.names;
    e.messages = names.messages; /* the sentences are the build's, not the policy's */
    /* How messages name the policy: as given when it is a path, else the file the search found. */
    const char *display = strchr(policy_arg, '/') != NULL || (strlen(policy_arg) >= 5
        && strcmp(policy_arg + strlen(policy_arg) - 5, ".json") == 0) ? show(policy_arg, strlen(policy_arg))
        : show(policy_path.s, strlen(policy_path.s));
    const char *shown = show(program, strlen(program));
    /* What the loader said about the policy, said again as the JVM says it at every run; a JVM that compiled the
     * entry just now has said it already. */
    if (have && have_names) {
        struct values v = { .policy = display };
        for (size_t off = 0; e.warnings.len - off >= 4;) {
            uint32_t len = u32_at(e.warnings.p + off);
            if (len > e.warnings.len - off - 4)
                break;
            say(e.warnings.p + off + 4, len, &v);
            off += 4 + (size_t)len;
        }
    }

    char *path = resolve_program(program, shown, &e);
    struct bytes plan = with_exec(&e.plan, path, args + 3, nargs - 3);

    /* A supervised plan's supervisor reports on a pipe the executor finds at the entry's fd. */
    int supervised = e.supervisor.p != NULL;
    int report_fd = supervised && e.supervisor.len == 4 ? (int)u32_at(e.supervisor.p) : -1;
    int errpipe[2], reports[2] = { -1, -1 };
    if (supervised && (report_fd <= ERROR_FD || pipe2(reports, O_CLOEXEC | O_NONBLOCK) != 0))
        jvm();
    if (pipe2(errpipe, O_CLOEXEC) != 0)
        jvm();
    sigset_t forwarded, saved;
    sigemptyset(&forwarded);
    sigaddset(&forwarded, SIGINT);
    sigaddset(&forwarded, SIGTERM);
    sigaddset(&forwarded, SIGHUP);
    sigprocmask(SIG_BLOCK, &forwarded, &saved);
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &saved, NULL); /* the JVM must not start with these blocked */
        jvm();
    }
    if (pid == 0) {
        default_signals();
        /* The pipes may sit on any low fd: each goes above them all first, then to its place. */
        int err_w = fcntl(errpipe[1], F_DUPFD_CLOEXEC, 16);
        int report_w = supervised ? fcntl(reports[1], F_DUPFD_CLOEXEC, 16) : -1;
        if (err_w < 0 || dup3(err_w, ERROR_FD, O_CLOEXEC) < 0)
            _exit(LAUNCHER_FAILED);
        if (supervised) {
            if (report_w < 0 || dup3(report_w, report_fd, 0) < 0)
                _exit(LAUNCHER_FAILED);
            fcntl(report_fd, F_SETFL, 0); /* the supervisor decides how it writes */
        }
        /* A supervised plan closes fds only from above its report fd, so fd 3 would stay open: sandbox-launcher
         * has its plan there and closes it before the plan runs, and so do we. */
        if (PLAN_FD != report_fd)
            close(PLAN_FD);
        struct plan_runtime rt = { .runner = self };
        plan_run(plan.p, plan.len, &rt);
    }
    child = pid;
    close(errpipe[1]);
    if (supervised)
        close(reports[1]);
    /* Passed on to the program, as docker run and timeout do; we end when it does, with its status. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigprocmask(SIG_SETMASK, &saved, NULL);

    struct error_record rec;
    size_t got = 0;
    while (got < sizeof rec) {
        ssize_t n = read(errpipe[0], (char *)&rec + got, sizeof rec - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(errpipe[0]);

    static struct violations vs;
    if (supervised && got != sizeof rec)
        await_program(pid, reports[0], &vs);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return LAUNCHER_FAILED;
    if (got == sizeof rec) {
        struct message m;
        struct values v = { .program = shown, .strerror = strerror(rec.err) };
        if (find_message(&e, MSG_STEP_FAILED, rec.step, rec.err, &m)) {
            say(m.text, m.len, &v);
            return (int)m.exit;
        }
        fprintf(stderr, "sandbox: launch step %u failed: %s\n", rec.step, strerror(rec.err));
        return LAUNCHER_FAILED;
    }
    if (supervised)
        collect(reports[0], &vs);
    if (report(&e, pid, status, &vs, shown, display))
        return 128 + SIGSYS;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
