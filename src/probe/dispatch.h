/*
 * dispatch.h — which worker meters a packet when `netsift probe --workers N`
 * spreads the work over N flow caches.
 *
 * Each worker owns a flow cache and sees only its share of the packets, so
 * every packet the meter would count in one flow must reach the same
 * worker: both directions of a biflow (RFC 5103), every fragment of a
 * datagram (non-first fragments carry no ports; meter/frag.h counts them
 * in the flow of the first), packets without a transport header (counted
 * in the ports-0 flow of their addresses), and all packets of a tunnel
 * (the outer header is the flow, pkt.h).  The one thing all of them share
 * is the outer address pair, so the dispatch hash is a symmetric function
 * of the two outer IP addresses only: XOR of their 32-bit words (the same
 * value for a→b and b→a), then a multiply-xorshift finaliser so that the
 * low bits, which pick the worker, depend on every bit.  Adding the
 * protocol would spread the traffic between one pair of hosts a little
 * better, but IPv6 puts it behind a chain of extension headers that the
 * kernel-side version of this hash (below) cannot walk; adding ports would
 * separate fragments from their flow.  Packets without IP (ARP, ...) are
 * only counted, never metered into a flow: they go to worker 0.
 *
 * The worker is hash % N, as the kernel computes it for a PACKET_FANOUT_CBPF
 * program (net/packet/af_packet.c, fanout_demux_bpf(): the program's
 * return value % num_members).  ns_dispatch_cbpf() builds that classic BPF
 * program, so `--fanout addr` spreads live traffic with exactly this
 * function; probe/workers.c uses ns_dispatch_hash() for files.
 *
 * No allocation, no errors.
 */
#ifndef NS_PROBE_DISPATCH_H
#define NS_PROBE_DISPATCH_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt.h"

/* The symmetric hash of a decoded packet's outer addresses; 0 without IP. */
uint32_t ns_dispatch_hash(const struct ns_pkt *p);

/* The same over raw address bytes (4 for IPv4, 16 for IPv6). */
uint32_t ns_dispatch_hash_addrs(const uint8_t *src, const uint8_t *dst, int ip_version);

static inline unsigned ns_dispatch_worker(uint32_t hash, unsigned nworkers)
{
    return nworkers ? hash % nworkers : 0;
}

/*
 * The hash as a classic BPF program (at most NS_DISPATCH_CBPF_MAX
 * instructions written to `prog`; returns how many).
 *
 * kernel = 1: for PACKET_FANOUT_DATA of a PACKET_FANOUT_CBPF group.  The
 * fanout program runs before the packet socket pushes the link header
 * back (on receive skb->data is at the network header, on transmit at the
 * MAC header), so it reads through the kernel's ancillary offsets, which
 * mean the same in both: SKF_AD_PROTOCOL (skb->protocol, the ethertype
 * after the outer VLAN tag was taken into metadata) and SKF_NET_OFF
 * (relative to the network header).  Frames whose protocol is neither
 * IPv4 nor IPv6 (MPLS, QinQ inner tags, PPPoE, ARP) return 0: worker 0.
 *
 * kernel = 0: the same instructions on a plain Ethernet frame (ethertype
 * at 12, IP header at 14), so a test can run it through libpcap's
 * bpf_filter() and compare with ns_dispatch_hash().
 */
#define NS_DISPATCH_CBPF_MAX 48
size_t ns_dispatch_cbpf(struct sock_filter *prog, int kernel);

#endif
