package dev.sandbox.jna;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sandbox.testing.Probes;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The sizes and constants LibC hard-codes, compared with what the C compiler says (probes/layout.c). */
public class LayoutTest {
    public static Map<String, Long> layout() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Probes.path("layout")).redirectErrorStream(true).start();
        Map<String, Long> values = new HashMap<>();
        for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
            String[] kv = line.split(" ");
            values.put(kv[0], Long.parseLong(kv[1]));
        }
        assertEquals(0, p.waitFor());
        return values;
    }

    @Test
    @DisplayName("libc struct sizes and flags match the C headers")
    void libc() throws Exception {
        Map<String, Long> c = layout();
        assertEquals(c.get("sizeof_posix_spawn_file_actions_t"), (long) LibC.SIZEOF_POSIX_SPAWN_FILE_ACTIONS);
        assertEquals(c.get("sizeof_posix_spawnattr_t"), (long) LibC.SIZEOF_POSIX_SPAWNATTR);
        assertEquals(c.get("sizeof_sigset_t"), (long) LibC.SIZEOF_SIGSET);
        assertEquals(c.get("O_NONBLOCK"), (long) LibC.O_NONBLOCK);
        assertEquals(c.get("O_PATH"), (long) LibC.O_PATH);
        assertEquals(c.get("O_DIRECTORY"), (long) LibC.O_DIRECTORY);
        assertEquals(c.get("sizeof_notify_record"), 28L); // Supervisor.RECORD_SIZE
        assertEquals(c.get("O_CLOEXEC"), (long) LibC.O_CLOEXEC);
        assertEquals(c.get("F_DUPFD_CLOEXEC"), (long) LibC.F_DUPFD_CLOEXEC);
        assertEquals(c.get("MFD_CLOEXEC"), (long) LibC.MFD_CLOEXEC);
        assertEquals(c.get("WNOHANG"), (long) LibC.WNOHANG);
        assertEquals(c.get("WUNTRACED"), (long) LibC.WUNTRACED);
        assertEquals(c.get("__WALL"), (long) LibC.__WALL);
        assertEquals(c.get("POSIX_SPAWN_SETSIGDEF"), (long) LibC.POSIX_SPAWN_SETSIGDEF);
        assertEquals(c.get("POSIX_SPAWN_SETSIGMASK"), (long) LibC.POSIX_SPAWN_SETSIGMASK);
        assertEquals(c.get("sizeof_termios"), (long) LibC.SIZEOF_TERMIOS);
        assertEquals(c.get("offsetof_termios_c_lflag"), (long) LibC.TERMIOS_C_LFLAG);
        assertEquals(c.get("offsetof_termios_c_cc"), (long) LibC.TERMIOS_C_CC);
        assertEquals(c.get("ICANON"), (long) LibC.ICANON);
        assertEquals(c.get("ECHO"), (long) LibC.ECHO);
        assertEquals(c.get("ISIG"), (long) LibC.ISIG);
        assertEquals(c.get("IEXTEN"), (long) LibC.IEXTEN);
        assertEquals(c.get("TIOCGWINSZ"), LibC.TIOCGWINSZ);
        assertEquals(c.get("SIG_BLOCK"), (long) LibC.SIG_BLOCK);
        assertEquals(c.get("SIG_SETMASK"), (long) LibC.SIG_SETMASK);
        assertEquals(c.get("SIGQUIT"), (long) LibC.SIGQUIT);
        assertEquals(c.get("SIGTTIN"), (long) LibC.SIGTTIN);
        assertEquals(c.get("SIGTTOU"), (long) LibC.SIGTTOU);
        assertEquals(c.get("SIGWINCH"), (long) LibC.SIGWINCH);
        assertEquals(c.get("VTIME"), (long) LibC.VTIME);
        assertEquals(c.get("VMIN"), (long) LibC.VMIN);
        assertEquals(c.get("TCSANOW"), (long) LibC.TCSANOW);
        assertEquals(c.get("TCIFLUSH"), (long) LibC.TCIFLUSH);
        assertEquals(c.get("O_RDWR"), (long) LibC.O_RDWR);
        assertEquals(c.get("O_NOCTTY"), (long) LibC.O_NOCTTY);
        assertEquals(c.get("POLLIN"), (long) LibC.POLLIN);
        assertEquals(c.get("sizeof_pollfd"), (long) Posix.SIZEOF_POLLFD);
        assertEquals(c.get("offsetof_pollfd_fd"), (long) Posix.POLLFD_FD);
        assertEquals(c.get("offsetof_pollfd_events"), (long) Posix.POLLFD_EVENTS);
        assertEquals(c.get("offsetof_pollfd_revents"), (long) Posix.POLLFD_REVENTS);
        assertEquals(c.get("sizeof_rusage"), (long) Posix.SIZEOF_RUSAGE);
        assertEquals(c.get("offsetof_rusage_ru_utime"), (long) Posix.RUSAGE_RU_UTIME);
        assertEquals(c.get("offsetof_rusage_ru_stime"), (long) Posix.RUSAGE_RU_STIME);
        assertEquals(c.get("offsetof_rusage_ru_maxrss"), (long) Posix.RUSAGE_RU_MAXRSS);
        assertEquals(c.get("sizeof_timeval"), 16L, "childrenUsage reads tv_sec, tv_usec as two longs");
        assertEquals(c.get("offsetof_timeval_tv_usec"), 8L);
        assertEquals(c.get("RUSAGE_CHILDREN"), (long) Posix.RUSAGE_CHILDREN);
        assertEquals(c.get("AF_UNIX"), (long) LibC.AF_UNIX);
        assertEquals(c.get("SOCK_STREAM"), (long) LibC.SOCK_STREAM);
        assertEquals(c.get("SOCK_CLOEXEC"), (long) LibC.SOCK_CLOEXEC);
        assertEquals(c.get("SYS_pidfd_open"), LibC.SYS_pidfd_open);
        assertEquals(c.get("SIGKILL"), (long) LibC.SIGKILL);
        assertEquals(c.get("SIGSTOP"), (long) LibC.SIGSTOP);
        assertEquals(c.get("SIGSYS"), (long) LibC.SIGSYS);
        assertEquals(c.get("sizeof_winsize"), (long) Posix.SIZEOF_WINSIZE);
        assertEquals(c.get("offsetof_winsize_ws_row"), (long) Posix.WINSIZE_ROW);
        assertEquals(c.get("offsetof_winsize_ws_col"), (long) Posix.WINSIZE_COL);
    }

    @Test
    @DisplayName("errno names come from glibc and round-trip")
    void errnoNames() {
        assertEquals("EPERM", Errno.name(1));
        assertEquals(38, Errno.byName("ENOSYS"));
        assertEquals(-1, Errno.byName("EWHAT"));
    }
}
