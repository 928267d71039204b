/*
 * Carries out a filter recipe (recipe.h) with libseccomp, call for call as dev.sandbox.jna.LibSeccomp.bpf does in
 * the JVM. No decisions here: the recipe says what to call; this reads it and calls.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recipe.h"

/* <seccomp.h>: struct scmp_arg_cmp, and __NR_SCMP_ERROR (a name no arch knows) */
struct scmp_arg_cmp {
    unsigned int arg;
    int op;
    uint64_t datum_a;
    uint64_t datum_b;
};
#define NR_SCMP_ERROR (-1)

/* The libseccomp 2.x calls a recipe makes, by the names and types of <seccomp.h>. */
struct recipe_lib {
    void *(*init)(uint32_t def_action);
    void (*release)(void *ctx);
    int (*arch_add)(void *ctx, uint32_t arch_token);
    int (*arch_remove)(void *ctx, uint32_t arch_token);
    int (*attr_set)(void *ctx, int attr, uint32_t value);
    int (*rule_add_array)(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt,
                          const struct scmp_arg_cmp *arg_array);
    int (*merge)(void *dst, void *src);
    int (*resolve_name)(const char *name);
    char *(*resolve_num_arch)(uint32_t arch_token, int num);
    int (*export_bpf)(void *ctx, int fd);
};

int recipe_append(struct recipe_buf *b, const void *data, size_t len)
{
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < len)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

int recipe_append_u32(struct recipe_buf *b, uint32_t v)
{
    unsigned char le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
    return recipe_append(b, le, 4);
}

/* The mapped file whose name has "/libseccomp.so" in it, as the JVM path reads its own /proc/self/maps. */
static int mapped_path(char *path, size_t size)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return -1;
    char line[PATH_MAX + 256];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, f) != NULL) {
        char *slash = strchr(line, '/');
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (slash != NULL && strstr(slash, "/libseccomp.so") != NULL && strlen(slash) < size) {
            strcpy(path, slash);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

struct recipe_lib *recipe_open(char *path, size_t path_size)
{
    static struct recipe_lib lib;
    void *h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return NULL;
    struct { void **fn; const char *name; } syms[] = {
        { (void **)&lib.init, "seccomp_init" },
        { (void **)&lib.release, "seccomp_release" },
        { (void **)&lib.arch_add, "seccomp_arch_add" },
        { (void **)&lib.arch_remove, "seccomp_arch_remove" },
        { (void **)&lib.attr_set, "seccomp_attr_set" },
        { (void **)&lib.rule_add_array, "seccomp_rule_add_array" },
        { (void **)&lib.merge, "seccomp_merge" },
        { (void **)&lib.resolve_name, "seccomp_syscall_resolve_name" },
        { (void **)&lib.resolve_num_arch, "seccomp_syscall_resolve_num_arch" },
        { (void **)&lib.export_bpf, "seccomp_export_bpf" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].fn = dlsym(h, syms[i].name);
        if (*syms[i].fn == NULL)
            return NULL;
    }
    if (mapped_path(path, path_size) != 0)
        return NULL;
    return &lib;
}

int recipe_names(const struct recipe_lib *lib, struct recipe_buf *out)
{
    static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };
    for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++) {
        size_t count_at = out->len + 4;
        uint32_t count = 0;
        /* token; count and byte length, filled in below */
        if (recipe_append_u32(out, arches[a]) != 0 || recipe_append_u32(out, 0) != 0
            || recipe_append_u32(out, 0) != 0)
            return -1;
        for (uint32_t nr = 0; nr < RECIPE_NAMES_SCAN; nr++) {
            char *name = lib->resolve_num_arch(arches[a], (int)(arches[a] == SCMP_ARCH_X32 ? nr | RECIPE_X32_BIT : nr));
            if (name == NULL)
                continue;
            size_t len = strlen(name);
            int bad = recipe_append_u32(out, nr) != 0 || recipe_append_u32(out, (uint32_t)len) != 0
                || recipe_append(out, name, len) != 0;
            free(name);
            if (bad)
                return -1;
            count++;
        }
        uint32_t len = (uint32_t)(out->len - count_at - 8);
        for (int i = 0; i < 4; i++) {
            out->p[count_at + (size_t)i] = (unsigned char)(count >> (8 * i));
            out->p[count_at + 4 + (size_t)i] = (unsigned char)(len >> (8 * i));
        }
    }
    return 0;
}

struct reader {
    const unsigned char *p, *end;
    int bad;
};

static uint32_t u32(struct reader *r)
{
    if (r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static uint64_t u64(struct reader *r)
{
    uint64_t lo = u32(r);
    return lo | (uint64_t)u32(r) << 32;
}

/* libseccomp takes at most 6 comparisons (one per argument). */
#define MAX_CMPS 6

static int read_cmps(struct reader *r, uint32_t n, struct scmp_arg_cmp *cmps)
{
    if (n > MAX_CMPS) {
        r->bad = 1;
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        cmps[i].arg = u32(r);
        cmps[i].op = (int)u32(r);
        cmps[i].datum_a = u64(r);
        cmps[i].datum_b = u64(r);
    }
    return r->bad ? -1 : 0;
}

int recipe_export(const struct recipe_lib *lib, const unsigned char *recipe, size_t len, struct recipe_buf *bpf,
                  uint32_t *failed_op, int *err)
{
    struct reader r = { recipe, recipe + len, 0 };
    *failed_op = UINT32_MAX;
    *err = EINVAL;
    if (u32(&r) != RECIPE_MAGIC || u32(&r) != RECIPE_VERSION)
        return -1;
    uint32_t contexts = u32(&r), result = u32(&r), nops = u32(&r);
    if (r.bad || contexts == 0 || contexts > 64 || result >= contexts)
        return -1;
    void *ctx[64] = { 0 };
    int ret = -1;
    uint32_t i;
    for (i = 0; i < nops; i++) {
        uint32_t kind = u32(&r), c = u32(&r);
        if (r.bad || c >= contexts || (kind != OP_INIT && ctx[c] == NULL))
            goto unreadable;
        int rc = 0;
        struct scmp_arg_cmp cmps[MAX_CMPS];
        switch (kind) {
        case OP_INIT: {
            uint32_t def = u32(&r), arch = u32(&r);
            if (r.bad || ctx[c] != NULL)
                goto unreadable;
            ctx[c] = lib->init(def);
            if (ctx[c] == NULL) {
                rc = -EINVAL;
                break;
            }
            if (arch != SCMP_ARCH_X86_64) {
                rc = lib->arch_add(ctx[c], arch);
                if (rc == 0)
                    rc = lib->arch_remove(ctx[c], SCMP_ARCH_X86_64);
            }
            break;
        }
        case OP_ATTR: {
            uint32_t attr = u32(&r), value = u32(&r);
            if (r.bad)
                goto unreadable;
            rc = lib->attr_set(ctx[c], (int)attr, value);
            break;
        }
        case OP_ADD_ARCH: {
            uint32_t arch = u32(&r);
            if (r.bad)
                goto unreadable;
            rc = lib->arch_add(ctx[c], arch);
            break;
        }
        case OP_RULE: {
            uint32_t action = u32(&r), nr = u32(&r), n = u32(&r);
            if (r.bad || read_cmps(&r, n, cmps) != 0)
                goto unreadable;
            rc = lib->rule_add_array(ctx[c], action, (int)nr, n, n ? cmps : NULL);
            break;
        }
        case OP_RULE_NAMED: {
            uint32_t action = u32(&r), n = u32(&r), name_len = u32(&r);
            if (r.bad || read_cmps(&r, n, cmps) != 0 || name_len == 0 || name_len > 64
                || (size_t)(r.end - r.p) < name_len)
                goto unreadable;
            char name[65];
            memcpy(name, r.p, name_len);
            name[name_len] = '\0';
            r.p += name_len;
            int nr = lib->resolve_name(name);
            if (nr != NR_SCMP_ERROR)
                rc = lib->rule_add_array(ctx[c], action, nr, n, n ? cmps : NULL);
            break;
        }
        case OP_MERGE: {
            uint32_t from = u32(&r);
            if (r.bad || from >= contexts || from == c || ctx[from] == NULL)
                goto unreadable;
            rc = lib->merge(ctx[c], ctx[from]);
            if (rc == 0)
                ctx[from] = NULL; /* released by the merge */
            break;
        }
        default:
            goto unreadable;
        }
        if (rc < 0) {
            *failed_op = i;
            *err = -rc;
            goto out;
        }
    }
    if (r.p != r.end || ctx[result] == NULL)
        goto unreadable;

    /* seccomp_export_bpf writes into an fd; a memfd has no pipe's capacity limit and needs no temp file. */
    *failed_op = nops;
    int fd = memfd_create("sandbox-bpf", MFD_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        goto out;
    }
    int rc = lib->export_bpf(ctx[result], fd);
    if (rc < 0) {
        *err = -rc;
        close(fd);
        goto out;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned char *p = size > 0 ? malloc((size_t)size) : NULL;
    if (p == NULL || pread(fd, p, (size_t)size, 0) != size) {
        *err = p == NULL ? ENOMEM : EIO;
        free(p);
        close(fd);
        goto out;
    }
    close(fd);
    bpf->p = p;
    bpf->len = bpf->cap = (size_t)size;
    ret = 0;
    goto out;

unreadable:
    *failed_op = UINT32_MAX;
    *err = EINVAL;
out:
    for (uint32_t k = 0; k < contexts; k++)
        if (ctx[k] != NULL)
            lib->release(ctx[k]);
    return ret;
}
