/*
 * layout: prints the sizes, offsets and constants that the Java bindings hard-code, one "name value" per line.
 * LayoutTest compares them with the Java side, so a wrong offset fails a test instead of corrupting a tracee.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/ptrace.h> /* glibc >= 2.34 names the kernel struct __ptrace_syscall_info */
#include <sys/wait.h>
#include <poll.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sched.h>

#include "plan.h"

#define SHOW(name, value) printf("%s %lld\n", name, (long long)(value))

int main(void)
{
    SHOW("sizeof_posix_spawn_file_actions_t", sizeof(posix_spawn_file_actions_t));
    SHOW("sizeof_notify_record", sizeof(struct notify_record));
    SHOW("O_PATH", O_PATH);
    SHOW("O_DIRECTORY", O_DIRECTORY);
    SHOW("sizeof_posix_spawnattr_t", sizeof(posix_spawnattr_t));
    SHOW("sizeof_sigset_t", sizeof(sigset_t));
    SHOW("sizeof_termios", sizeof(struct termios));
    SHOW("offsetof_termios_c_lflag", offsetof(struct termios, c_lflag));
    SHOW("offsetof_termios_c_cc", offsetof(struct termios, c_cc));
    SHOW("ICANON", ICANON);
    SHOW("ECHO", ECHO);
    SHOW("ISIG", ISIG);
    SHOW("IEXTEN", IEXTEN);
    SHOW("TIOCGWINSZ", TIOCGWINSZ);
    SHOW("SIG_BLOCK", SIG_BLOCK);
    SHOW("SIG_SETMASK", SIG_SETMASK);
    SHOW("SIGQUIT", SIGQUIT);
    SHOW("SIGTTIN", SIGTTIN);
    SHOW("SIGTTOU", SIGTTOU);
    SHOW("SIGWINCH", SIGWINCH);
    SHOW("VTIME", VTIME);
    SHOW("VMIN", VMIN);
    SHOW("TCSANOW", TCSANOW);
    SHOW("TCIFLUSH", TCIFLUSH);
    SHOW("O_RDWR", O_RDWR);
    SHOW("O_NOCTTY", O_NOCTTY);
    SHOW("POLLIN", POLLIN);
    SHOW("sizeof_pollfd", sizeof(struct pollfd));
    SHOW("offsetof_pollfd_fd", offsetof(struct pollfd, fd));
    SHOW("offsetof_pollfd_events", offsetof(struct pollfd, events));
    SHOW("offsetof_pollfd_revents", offsetof(struct pollfd, revents));
    SHOW("sizeof_rusage", sizeof(struct rusage));
    SHOW("offsetof_rusage_ru_utime", offsetof(struct rusage, ru_utime));
    SHOW("offsetof_rusage_ru_stime", offsetof(struct rusage, ru_stime));
    SHOW("offsetof_rusage_ru_maxrss", offsetof(struct rusage, ru_maxrss));
    SHOW("sizeof_timeval", sizeof(struct timeval));
    SHOW("offsetof_timeval_tv_usec", offsetof(struct timeval, tv_usec));
    SHOW("RUSAGE_CHILDREN", RUSAGE_CHILDREN);
    SHOW("AF_UNIX", AF_UNIX);
    SHOW("SOCK_STREAM", SOCK_STREAM);
    SHOW("SOCK_CLOEXEC", SOCK_CLOEXEC);
    SHOW("SYS_pidfd_open", SYS_pidfd_open);
    SHOW("SIGKILL", SIGKILL);
    SHOW("SIGSTOP", SIGSTOP);
    SHOW("SIGSYS", SIGSYS);
    SHOW("sizeof_winsize", sizeof(struct winsize));
    SHOW("offsetof_winsize_ws_row", offsetof(struct winsize, ws_row));
    SHOW("offsetof_winsize_ws_col", offsetof(struct winsize, ws_col));
    SHOW("sizeof_iovec", sizeof(struct iovec));
    SHOW("offsetof_iovec_iov_base", offsetof(struct iovec, iov_base));
    SHOW("offsetof_iovec_iov_len", offsetof(struct iovec, iov_len));
    SHOW("sizeof_cpu_set_t", sizeof(cpu_set_t));
    SHOW("O_NONBLOCK", O_NONBLOCK);
    SHOW("O_CLOEXEC", O_CLOEXEC);
    SHOW("F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC);
    SHOW("MFD_CLOEXEC", MFD_CLOEXEC);
    SHOW("WNOHANG", WNOHANG);
    SHOW("WUNTRACED", WUNTRACED);
    SHOW("__WALL", __WALL);
    SHOW("POSIX_SPAWN_SETSIGDEF", POSIX_SPAWN_SETSIGDEF);
    SHOW("POSIX_SPAWN_SETSIGMASK", POSIX_SPAWN_SETSIGMASK);
    SHOW("PTRACE_SEIZE", PTRACE_SEIZE);
    SHOW("PTRACE_INTERRUPT", PTRACE_INTERRUPT);
    SHOW("PTRACE_LISTEN", PTRACE_LISTEN);
    SHOW("PTRACE_SYSCALL", PTRACE_SYSCALL);
    SHOW("PTRACE_CONT", PTRACE_CONT);
    SHOW("PTRACE_GETEVENTMSG", PTRACE_GETEVENTMSG);
    SHOW("PTRACE_GET_SYSCALL_INFO", PTRACE_GET_SYSCALL_INFO);
    SHOW("PTRACE_SET_SYSCALL_INFO", 0x4212);
    SHOW("PTRACE_POKEUSER", PTRACE_POKEUSER);
    SHOW("PTRACE_PEEKUSER", PTRACE_PEEKUSER);
    SHOW("PTRACE_O_TRACESYSGOOD", PTRACE_O_TRACESYSGOOD);
    SHOW("PTRACE_O_TRACEFORK", PTRACE_O_TRACEFORK);
    SHOW("PTRACE_O_TRACEVFORK", PTRACE_O_TRACEVFORK);
    SHOW("PTRACE_O_TRACECLONE", PTRACE_O_TRACECLONE);
    SHOW("PTRACE_O_TRACEEXEC", PTRACE_O_TRACEEXEC);
    SHOW("PTRACE_O_TRACEEXIT", PTRACE_O_TRACEEXIT);
    SHOW("PTRACE_O_TRACESECCOMP", PTRACE_O_TRACESECCOMP);
    SHOW("PTRACE_O_EXITKILL", PTRACE_O_EXITKILL);
    SHOW("PTRACE_EVENT_FORK", PTRACE_EVENT_FORK);
    SHOW("PTRACE_EVENT_VFORK", PTRACE_EVENT_VFORK);
    SHOW("PTRACE_EVENT_CLONE", PTRACE_EVENT_CLONE);
    SHOW("PTRACE_EVENT_EXEC", PTRACE_EVENT_EXEC);
    SHOW("PTRACE_EVENT_EXIT", PTRACE_EVENT_EXIT);
    SHOW("PTRACE_EVENT_SECCOMP", PTRACE_EVENT_SECCOMP);
    SHOW("PTRACE_EVENT_STOP", PTRACE_EVENT_STOP);
    SHOW("sizeof_ptrace_syscall_info", sizeof(struct __ptrace_syscall_info));
    SHOW("offsetof_ptrace_syscall_info_op", offsetof(struct __ptrace_syscall_info, op));
    SHOW("offsetof_ptrace_syscall_info_arch", offsetof(struct __ptrace_syscall_info, arch));
    SHOW("offsetof_ptrace_syscall_info_instruction_pointer", offsetof(struct __ptrace_syscall_info, instruction_pointer));
    SHOW("offsetof_ptrace_syscall_info_stack_pointer", offsetof(struct __ptrace_syscall_info, stack_pointer));
    SHOW("offsetof_ptrace_syscall_info_entry_nr", offsetof(struct __ptrace_syscall_info, entry.nr));
    SHOW("offsetof_ptrace_syscall_info_entry_args", offsetof(struct __ptrace_syscall_info, entry.args));
    SHOW("offsetof_ptrace_syscall_info_exit_rval", offsetof(struct __ptrace_syscall_info, exit.rval));
    SHOW("offsetof_ptrace_syscall_info_exit_is_error", offsetof(struct __ptrace_syscall_info, exit.is_error));
    SHOW("offsetof_ptrace_syscall_info_seccomp_nr", offsetof(struct __ptrace_syscall_info, seccomp.nr));
    SHOW("offsetof_ptrace_syscall_info_seccomp_args", offsetof(struct __ptrace_syscall_info, seccomp.args));
    SHOW("offsetof_ptrace_syscall_info_seccomp_ret_data", offsetof(struct __ptrace_syscall_info, seccomp.ret_data));
    SHOW("ORIG_RAX_OFFSET", offsetof(struct user_regs_struct, orig_rax));
    SHOW("RAX_OFFSET", offsetof(struct user_regs_struct, rax));
    SHOW("RDI_OFFSET", offsetof(struct user_regs_struct, rdi));
    SHOW("RBX_OFFSET", offsetof(struct user_regs_struct, rbx));
    SHOW("PR_SET_DUMPABLE", PR_SET_DUMPABLE);
    return 0;
}
