/*
 * A compiled policy: what the JVM path caches so that sandbox-run can enforce the same policy again without a JVM.
 * dev.sandbox.cache.CompiledPolicy writes it; a unit test compares the constants here with the Java ones.
 * Little-endian, like plan.h:
 *
 *   header   { u32 magic = COMPILED_MAGIC; u16 version = COMPILED_VERSION; u16 sections; u8 key[32]; u32 body_len; }
 *   body     body_len bytes of sections { u16 type; u16 zero; u32 len; u8 payload[len]; }, `sections` of them
 *   trailer  u64 checksum: FNV-1a (64 bit) of header and body
 *
 * The checksum finds a torn or damaged file; it is no defence against an attacker, and needs none: the directory
 * and the file must belong to the user and be closed to everybody else, or they are not read at all.
 *
 * The key is the SHA-256 of the key text, and the file is named by its hex:
 *
 *   "sandbox compiled policy\n" "build " BUILD_ID "\n" "kernel " release " " version "\n" "policy " sha256hex "\n"
 *
 * so a new build, another kernel or a changed policy file never finds an old entry. The libseccomp that compiled
 * the filter is checked separately (SECTION_LIBSECCOMP: the file must still be the same one).
 *
 * A policy's entry has SECTION_PLAN and SECTION_LIBSECCOMP, SECTION_WARNINGS when the loader had any, and
 * SECTION_SUPERVISOR when its plan sends kill
 * verdicts to a supervisor (STEP_SECCOMP_NOTIFY): the runner then gives the executor the write end of a pipe at that
 * fd and reads the supervisor's records (plan.h, struct notify_record) while it waits, as the JVM path does. The
 * program's stdio is the runner's own on both paths: nothing in an entry says otherwise. What does not depend on the
 * policy and takes long to make, the syscall names of the violation report and the sentences of a static run, has
 * an entry of its own (the build entry), shared by every policy of a build, with SECTION_LIBSECCOMP, SECTION_NAMES
 * and SECTION_MESSAGES, keyed by COMPILED_NAMES_KEY_TEXT "build " BUILD_ID "\n". The build makes one
 * (BUILD_ENTRY under the checkout); the cache holds one made here when that one's libseccomp is not this one.
 *
 * Nothing in an entry is policy logic: a plan to execute, sentences to print, syscall names to look up.
 */
#ifndef SANDBOX_COMPILED_H
#define SANDBOX_COMPILED_H

#define COMPILED_MAGIC   0x43584253u /* "SBXC" */
#define COMPILED_VERSION 3
/* The build entry the build makes, relative to the checkout (the sandbox script's directory). */
#define BUILD_ENTRY "tui/target/sandbox-build.entry"
#define COMPILED_MAX     (1u << 22)
#define COMPILED_KEY_TEXT "sandbox compiled policy\n"
#define COMPILED_NAMES_KEY_TEXT "sandbox syscall names\n"
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

enum compiled_section {
    SECTION_PLAN       = 1, /* a launch plan (plan.h) up to, not including, its exec step */
    SECTION_LIBSECCOMP = 2, /* u64 st_dev; u64 st_ino; i64 st_size; i64 mtime in ns; path NUL */
    SECTION_MESSAGES   = 3, /* records { u32 id; u32 step; i32 err; u32 exit; u32 len; text[len] } */
    SECTION_NAMES      = 4, /* records { u32 audit_arch; u32 nr; u32 len; text[len] }: the syscall as reported */
    SECTION_SUPERVISOR = 5, /* u32: the executor's fd for the supervisor's report pipe (REPORT_FD) */
    SECTION_WARNINGS   = 6, /* records { u32 len; text[len] }: what the loader said about the policy (MSG_ARG 'f' for
                             * its name), said by a run from the cache before the program starts, as the JVM's is */
};

/* Sentences, with MSG_ARG followed by a letter where a value goes: p program, e strerror, s syscall, f policy,
 * n number, a arch in hex, t a violator's pid, i its thread, x its executable. */
enum message_id {
    MSG_STEP_FAILED       = 1, /* step, err (-1: any other errno), exit: a launch step that failed */
    MSG_NOT_IN_PATH       = 2, /* exit: the program is nowhere in PATH */
    MSG_VIOLATION         = 3, /* step = SIGSYS or SIGKILL: a policy kill of the program, the syscall named */
    MSG_VIOLATION_UNNAMED = 4, /* the same when neither the supervisor nor the kernel log named it */
    MSG_SYSCALL_UNKNOWN   = 5, /* step = audit arch (0: an arch of no name): a number with no name */
    MSG_ELSEWHERE         = 6, /* step = the record's signal (SIGSYS, SIGKILL, else 0), err = 1 when the thread is
                                * not the process: a violation the supervisor saw elsewhere in the tree */
    MSG_MORE              = 7, /* step = 1 for one, 0 for more: the violations not listed */
};
#define MSG_ARG '\001'

#endif
