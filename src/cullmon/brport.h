/*
 * brport.h — the MAC addresses behind a Linux bridge port.
 *
 * RFC 8327 filters go on ports; a capture sees MAC addresses.  On a Linux
 * bridge (the lab fabric, and `netsift cull monitor -i br0`), the kernel's
 * forwarding database says which MACs were learned on which port:
 * /sys/class/net/BRIDGE/brif/PORT/port_no names the port's number and
 * /sys/class/net/BRIDGE/brforward is an array of struct __fdb_entry
 * (linux/if_bridge.h: mac_addr[6], port_no, is_local, ageing_timer_value
 * (4), port_hi, pad, unused (2); 16 octets).  Local entries (the bridge's
 * own port addresses) are left out.
 *
 * No allocation.  Returns the number of MACs written (at most `max`), or
 * NS_ENOTFOUND / NS_EIO with the path in the message.
 */
#ifndef NS_CULLMON_BRPORT_H
#define NS_CULLMON_BRPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

int ns_bridge_port_macs(const char *bridge, const char *port, uint8_t (*macs)[6], size_t max,
                        struct ns_error *err);

#endif
