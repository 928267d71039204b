/*
 * A first run's compile, split so that the JVM loads no native bindings: JNA's start-up is most of what a first run
 * costs on JDK 17. sandbox-run opens libseccomp itself and starts the JVM as `SCRIPT --sandbox-compile HOME P` (HOME:
 * the checkout, as it resolved the script's directory) with the request on a pipe at COMPILE_REQUEST_FD and the
 * replies on one at COMPILE_REPLY_FD, which the JVM opens as /proc/self/fd/N. Its stdin, stdout and stderr stay the
 * user's, as on the JVM path: a path like /dev/stdin names the same file for it, whatever the JVM itself prints
 * (-Xlog to stdout, say) cannot garble the exchange, and what is wrong with a policy is said on stderr, in its own
 * words, with its exit code:
 *
 *   to the JVM    request  { u32 REQUEST_MAGIC; u32 flags; u32 len; libseccomp path[len];
 *                            u32 len; names table[len]; u32 len; policy file[len]; u32 32; key[32] }
 *                 (the policy as sandbox-run read it, and its cache key: an entry the JVM makes of the same bytes
 *                 takes that key instead of hashing them again)
 *   from the JVM  { u32 REPLY_MAGIC; u32 kind; ... }
 *                   REPLY_RECIPE: u32 len; recipe[len]               -> sandbox-run answers with the filter:
 *                                 { u32 err (0: done); u32 failed op; u32 len; bpf[len] or strerror(err)[len] }
 *                   REPLY_ENTRY:  u32 len; entry[len]; u32 len; names entry[len] (0: none)   (compiled.h)
 *                   REPLY_JVM:    the JVM path must run this one itself (a policy the cache cannot key)
 *
 * The JVM decides everything (dev.sandbox.seccomp.FilterRecipe: which libseccomp calls, in which order) and writes
 * the cache entry; sandbox-run carries the calls out with the libseccomp it names in the request, exactly as the
 * JVM's own LibSeccomp.bpf would, and then runs the entry as it runs any cached one.
 *
 * The names table is what the JVM would otherwise ask libseccomp one call at a time: for each arch token of
 * x86_64, i386 and x32, { u32 token; u32 count; u32 len; len bytes of count x { u32 nr; u32 len; name[len] } },
 * for every nr below
 * RECIPE_NAMES_SCAN that seccomp_syscall_resolve_num_arch names (x32 numbers asked with the x32 bit).
 *
 * A recipe (little-endian u32s unless said): { MAGIC; VERSION; contexts; result context; op count; ops }, each op
 *   OP_INIT       ctx, default action, arch token    seccomp_init; unless native: arch_add(arch), arch_remove(native)
 *   OP_ATTR       ctx, attr, value                   seccomp_attr_set
 *   OP_ADD_ARCH   ctx, arch token                    seccomp_arch_add
 *   OP_RULE       ctx, action, i32 nr, n, n x cmp    seccomp_rule_add_array
 *   OP_RULE_NAMED ctx, action, n, len, n x cmp, name[len]   the same with seccomp_syscall_resolve_name(name);
 *                                                    nothing when no arch knows the name
 *   OP_MERGE      ctx, from                          seccomp_merge (from is released)
 * where cmp is struct scmp_arg_cmp as libseccomp lays it out: { u32 arg; u32 op; u64 datum_a; u64 datum_b }.
 */
#ifndef SANDBOX_RECIPE_H
#define SANDBOX_RECIPE_H

#include <stddef.h>
#include <stdint.h>

#define RECIPE_MAGIC    0x50435253u /* "SRCP" */
#define RECIPE_VERSION  1
#define REQUEST_MAGIC   0x51524653u /* "SFRQ" */
#define REPLY_MAGIC     0x50524653u /* "SFRP" */
#define REQUEST_NAMES_CURRENT 1u    /* flags: the cache has this build's names entry; the JVM sends none */
#define REPLY_RECIPE    1
#define REPLY_ENTRY     2
#define REPLY_JVM       3
#define COMPILE_ARG     "--sandbox-compile"
#define COMPILE_REQUEST_FD 3
#define COMPILE_REPLY_FD   4

enum recipe_op { OP_INIT = 1, OP_ATTR = 2, OP_ADD_ARCH = 3, OP_RULE = 4, OP_RULE_NAMED = 5, OP_MERGE = 6 };

/* <seccomp.h> SCMP_ARCH_*, equal to the kernel's AUDIT_ARCH_* (<linux/audit.h>) */
#define SCMP_ARCH_X86_64 0xc000003eu
#define SCMP_ARCH_X86    0x40000003u
#define SCMP_ARCH_X32    0x4000003eu
/* <asm/unistd.h> __X32_SYSCALL_BIT */
#define RECIPE_X32_BIT   0x40000000u
/* dev.sandbox.syscall.SyscallNames.SCAN_LIMIT */
#define RECIPE_NAMES_SCAN 1024

struct recipe_buf {
    unsigned char *p;
    size_t len, cap;
};

/* libseccomp.so.2, opened at run time: a cached run never loads it. */
struct recipe_lib;

/* Opens libseccomp.so.2, or NULL (the JVM path then says why in its own words). path receives the file it mapped, as
 * /proc/self/maps names it (what the entry's SECTION_LIBSECCOMP records). */
struct recipe_lib *recipe_open(char *path, size_t path_size);

/* The names table (above). 0, or -1 when out of memory. */
int recipe_names(const struct recipe_lib *lib, struct recipe_buf *out);

/* Carries out a recipe and exports its filter as struct sock_filter[] into bpf. 0; or -1 with *failed_op (the op's
 * index, or the op count for the export, or UINT32_MAX for a recipe it cannot read) and *err (an errno). */
int recipe_export(const struct recipe_lib *lib, const unsigned char *recipe, size_t len, struct recipe_buf *bpf,
                  uint32_t *failed_op, int *err);

int recipe_append(struct recipe_buf *b, const void *data, size_t len);
/* v little-endian, as every number of the exchange */
int recipe_append_u32(struct recipe_buf *b, uint32_t v);

#endif
