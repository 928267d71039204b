/* static_hello: a static program that only writes and exits, for policies/minimal.json. */
#include <unistd.h>

int main(void)
{
    static const char msg[] = "hello from a static program\n";
    return write(1, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1) ? 0 : 1;
}
