/* brport.c — see brport.h. */
#include "cullmon/brport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ns_bridge_port_macs(const char *bridge, const char *port, uint8_t (*macs)[6], size_t max,
                        struct ns_error *err)
{
    char path[512];
    if (strchr(bridge, '/') || strchr(port, '/') || strstr(bridge, "..") || strstr(port, ".."))
        return ns_error_set(err, NS_EINVAL, "bad interface name");
    snprintf(path, sizeof path, "/sys/class/net/%s/brif/%s/port_no", bridge, port);
    FILE *f = fopen(path, "r");
    if (!f)
        return ns_error_set(err, NS_ENOTFOUND, "%s is not a port of bridge %s (%s: %s)", port,
                            bridge, path, strerror(errno));
    unsigned long no = 0;
    int ok = fscanf(f, "%lx", &no) == 1;
    fclose(f);
    if (!ok)
        return ns_error_set(err, NS_EIO, "%s: not a port number", path);
    snprintf(path, sizeof path, "/sys/class/net/%s/brforward", bridge);
    f = fopen(path, "rb");
    if (!f)
        return ns_error_set(err, NS_EIO, "%s: %s", path, strerror(errno));
    uint8_t e[16];
    size_t n = 0;
    while (n < max && fread(e, 1, sizeof e, f) == sizeof e) {
        unsigned eno = (unsigned)e[6] | (unsigned)e[12] << 8; /* port_no, port_hi */
        if (eno != no || e[7])                                /* other port, or a local entry */
            continue;
        memcpy(macs[n++], e, 6);
    }
    fclose(f);
    return (int)n;
}
