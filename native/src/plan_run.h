/*
 * The plan executor shared by sandbox-launcher and sandbox-run: one loop, one switch, execve last.
 */
#ifndef SANDBOX_PLAN_RUN_H
#define SANDBOX_PLAN_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct plan_runtime {
    /* The process that forked this executor and waits for it (sandbox-run), or 0 when there is none (the JVM
     * spawned an exec'd launcher: its pid is in the plan itself). */
    pid_t runner;
};

/* Writes {step, index, err} to ERROR_FD and exits LAUNCHER_FAILED. */
__attribute__((noreturn)) void plan_fail(uint32_t step, uint32_t index, int err);

/* Performs the steps of a plan (plan.h) and execs its target; never returns. The plan is modified in place. */
__attribute__((noreturn)) void plan_run(unsigned char *plan, size_t len, const struct plan_runtime *rt);

#endif
