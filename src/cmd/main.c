/* netsift — git-style front end; subcommands live in cmd_*.c. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        printf("usage: netsift <command> [options]\n");
        return argc < 2 ? 2 : 0;
    }
    fprintf(stderr, "netsift: unknown command '%s'\n", argv[1]);
    return 2;
}
