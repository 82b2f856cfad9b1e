/* netsift cull plan|monitor — placeholder until the BGP tracker lands. */
#include <stdio.h>

#include "cmd/cmd.h"

static int not_yet(const char *what)
{
    fprintf(stderr, "netsift cull %s: not implemented yet\n", what);
    return 2;
}

int cmd_cull_plan(int argc, char **argv)
{
    return not_yet("plan");
}
int cmd_cull_monitor(int argc, char **argv)
{
    return not_yet("monitor");
}
