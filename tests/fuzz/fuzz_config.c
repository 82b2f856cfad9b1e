/*
 * fuzz_config.c — libFuzzer target for the configuration file parser
 * (config/config.h): arbitrary bytes as YAML.  Invariants: a failed parse
 * leaves no allocation behind (ns_conf_free on a cleared struct is safe
 * and LeakSanitizer sees the rest) and its message carries "name:L:C:";
 * a successful one has its counts within NS_CONF_MAX and every string
 * present NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct ns_conf c;
    struct ns_error err = {0};
    int rc = ns_conf_parse_string(&c, "f", text, size, &err);
    if (rc < 0) {
        if (rc == NS_EINVAL && strncmp(err.msg, "f:", 2) != 0)
            abort();
    } else {
        if (c.nifaces > NS_CONF_MAX || c.nselectors > NS_CONF_MAX || c.ndests > NS_CONF_MAX ||
            c.nlisten > NS_CONF_MAX)
            abort();
        for (size_t i = 0; i < c.ndests; i++)
            if (strlen(c.dests[i]) > 400)
                abort();
    }
    ns_conf_free(&c);
    free(text);
    return 0;
}
