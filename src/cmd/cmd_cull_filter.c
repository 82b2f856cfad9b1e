/* netsift cull filter|apply|remove — placeholder until the filter generator lands. */
#include <stdio.h>

#include "cmd/cmd.h"

static int not_yet(const char *what)
{
    fprintf(stderr, "netsift cull %s: not implemented yet\n", what);
    return 2;
}

int cmd_cull_filter(int argc, char **argv)
{
    return not_yet("filter");
}
int cmd_cull_apply(int argc, char **argv)
{
    return not_yet("apply");
}
int cmd_cull_remove(int argc, char **argv)
{
    return not_yet("remove");
}
