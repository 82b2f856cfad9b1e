/* netsift gen — deterministic synthetic capture with ground truth. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "gen/gen.h"

static void help(FILE *out)
{
    fputs("usage: netsift gen -w OUT.pcap [options]\n"
          "\n"
          "Writes a reproducible capture of interleaved TCP, UDP (DNS-like, RTP) and ICMP\n"
          "flows over IPv4/IPv6, some VLAN-tagged, with injected upstream loss, downstream\n"
          "loss and reordering, and prints the ground truth as JSON on stderr.\n"
          "\n"
          "  -w FILE            output pcap ('-' = stdout)\n"
          "  --flows N          flows to generate (default 1000)\n"
          "  --seed N           PRNG seed (default 1); same seed, same bytes\n"
          "  --active N         flows in progress at once (default 4096)\n"
          "  --rate N           new flows per second (default 5000)\n"
          "  --snaplen N        bytes captured per packet (default 256)\n"
          "  --loss P           upstream loss probability per TCP segment/RTP packet (0.002)\n"
          "  --down-loss P      downstream loss probability per TCP segment (0.001)\n"
          "  --reorder P        reordering probability per TCP segment (0.002)\n"
          "  --truth FILE       write the ground truth JSON there instead of stderr\n"
          "  --heavy-tail A     bulk TCP transfers of Pareto(A) segments (xmin 20, at\n"
          "                     most 200000): a few flows carry much of the volume\n",
          out);
}

static double parse_prob(const char *s)
{
    char *end;
    double p = strtod(s, &end);
    if (*end || p < 0 || p > 0.5)
        cmd_die("gen", "probability '%s' must be between 0 and 0.5", s);
    return p;
}

int cmd_gen(int argc, char **argv)
{
    struct ns_gen_config c;
    ns_gen_config_default(&c);
    const char *out = NULL, *truth_path = NULL;
    enum {
        O_FLOWS = 256,
        O_SEED,
        O_ACTIVE,
        O_RATE,
        O_SNAP,
        O_LOSS,
        O_DLOSS,
        O_REORDER,
        O_TRUTH,
        O_HEAVY
    };
    static const struct option opts[] = {
        {"flows", 1, 0, O_FLOWS},      {"seed", 1, 0, O_SEED},       {"active", 1, 0, O_ACTIVE},
        {"rate", 1, 0, O_RATE},        {"snaplen", 1, 0, O_SNAP},    {"loss", 1, 0, O_LOSS},
        {"down-loss", 1, 0, O_DLOSS},  {"reorder", 1, 0, O_REORDER}, {"truth", 1, 0, O_TRUTH},
        {"heavy-tail", 1, 0, O_HEAVY}, {"help", 0, 0, 'h'},          {0, 0, 0, 0}};
    int o;
    uint64_t v;
    while ((o = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        switch (o) {
        case 'w':
            out = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        case O_FLOWS:
            if (cmd_parse_u64(optarg, &c.flows) || !c.flows)
                cmd_die("gen", "--flows wants a positive number");
            break;
        case O_SEED:
            if (cmd_parse_u64(optarg, &c.seed))
                cmd_die("gen", "--seed wants a number");
            break;
        case O_ACTIVE:
            if (cmd_parse_u64(optarg, &v) || !v || v > 10000000)
                cmd_die("gen", "--active wants 1..10000000");
            c.max_active = (uint32_t)v;
            break;
        case O_RATE:
            if (cmd_parse_u64(optarg, &v) || !v || v > 100000000)
                cmd_die("gen", "--rate wants 1..100000000 flows/s");
            c.flow_gap_ns = 1000000000u / v;
            break;
        case O_SNAP:
            if (cmd_parse_u64(optarg, &v) || v < 64 || v > 65535)
                cmd_die("gen", "--snaplen wants 64..65535");
            c.snaplen = (uint32_t)v;
            break;
        case O_LOSS:
            c.upstream_loss = parse_prob(optarg);
            break;
        case O_DLOSS:
            c.downstream_loss = parse_prob(optarg);
            break;
        case O_REORDER:
            c.reorder = parse_prob(optarg);
            break;
        case O_TRUTH:
            truth_path = optarg;
            break;
        case O_HEAVY: {
            char *end;
            c.pareto_alpha = strtod(optarg, &end);
            if (*end || !(c.pareto_alpha >= 0.5 && c.pareto_alpha <= 5))
                cmd_die("gen", "--heavy-tail wants a Pareto shape 0.5..5, not '%s'", optarg);
            break;
        }
        default:
            help(stderr);
            return 2;
        }
    }
    if (!out)
        cmd_die("gen", "-w FILE is required (see --help)");
    if (optind < argc)
        cmd_die("gen", "unexpected argument '%s'", argv[optind]);

    struct ns_gen_truth t;
    struct ns_error err;
    if (ns_gen_write_pcap(out, &c, &t, &err) < 0) {
        fprintf(stderr, "netsift gen: %s\n", err.msg);
        return 1;
    }
    FILE *tf = truth_path ? fopen(truth_path, "w") : stderr;
    if (!tf)
        cmd_die("gen", "%s: cannot open", truth_path);
    fprintf(tf,
            "{\"packets\":%" PRIu64 ",\"ip_octets\":%" PRIu64 ",\"l2_octets\":%" PRIu64
            ",\"flows\":%" PRIu64 ",\"tcp_flows\":%" PRIu64 ",\"udp_flows\":%" PRIu64
            ",\"icmp_flows\":%" PRIu64 ",\"rtp_flows\":%" PRIu64 ",\"tcp_upstream_lost\":%" PRIu64
            ",\"tcp_retrans\":%" PRIu64 ",\"tcp_reordered\":%" PRIu64 ",\"rtp_lost\":%" PRIu64
            "}\n",
            t.packets, t.ip_octets, t.l2_octets, t.flows, t.tcp_flows, t.udp_flows, t.icmp_flows,
            t.rtp_flows, t.tcp_upstream_lost, t.tcp_retrans, t.tcp_reordered, t.rtp_lost);
    if (truth_path && fclose(tf) != 0)
        cmd_die("gen", "%s: write failed", truth_path);
    return 0;
}
