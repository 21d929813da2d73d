#include "admin_options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* The most options one subcommand takes (with --help). */
#define ADMIN_MAX_OPTIONS 32

int admin_parse_options(int argc, char **argv, int first, opt_slot *slots, size_t nslots,
                        const char **positional, const char *help)
{
    return admin_parse_operands(argc, argv, first, slots, nslots, positional,
                                positional != NULL ? 1 : 0, help);
}

/* The next operand into operands[*n], or a usage error when max are there
 * already (or were set before the scan: the caller's own). */
static int take_operand(const char **operands, size_t max, size_t *n, const char *arg,
                        const char *help)
{
    while (*n < max && operands[*n] != NULL)
        ++*n;
    if (*n >= max) {
        fprintf(stderr, "fengqiao-admin: unexpected argument '%s'\n%s", arg, help);
        return -1;
    }
    operands[(*n)++] = arg;
    return 0;
}

int admin_parse_operands(int argc, char **argv, int first, opt_slot *slots, size_t nslots,
                         const char **operands, size_t max, const char *help)
{
    size_t taken = 0;
    if (nslots + 2 > ADMIN_MAX_OPTIONS) {
        fprintf(stderr, "fengqiao-admin: too many options for one command\n");
        return -1;
    }
    /* getopt_long's table from the slots: "--name" takes a value unless it
     * is a flag; the option's index in the table names its slot. */
    struct option longs[ADMIN_MAX_OPTIONS];
    size_t n = 0;
    for (size_t s = 0; s < nslots; s++, n++) {
        const char *name = slots[s].name;
        longs[n] =
            (struct option){name + (strncmp(name, "--", 2) == 0 ? 2 : 0),
                            slots[s].flag != NULL ? no_argument : required_argument, NULL, 0};
    }
    longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    /* argv[first - 1] (the command) stands where getopt wants the program's
     * name. "-": operands come back in order as 1; ":": a missing value is
     * ':' with no message of getopt's own. */
    int sub_argc = argc - first + 1;
    char **sub_argv = argv + first - 1;
    opterr = 0;
    optind = 0; /* a fresh scan */
    int c, index = -1;
    while ((c = getopt_long(sub_argc, sub_argv, "-:h", longs, &index)) != -1) {
        switch (c) {
        case 'h':
            fputs(help, stdout);
            return 1;
        case 0:
            if (slots[index].flag != NULL)
                *slots[index].flag = 1;
            else
                *slots[index].value = optarg;
            break;
        case 1:
            if (take_operand(operands, max, &taken, optarg, help) != 0)
                return -1;
            break;
        case ':':
            fprintf(stderr, "fengqiao-admin: %s needs a value\n", sub_argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "fengqiao-admin: unexpected argument '%s'\n%s", sub_argv[optind - 1],
                    help);
            return -1;
        }
        index = -1;
    }
    /* After "--" every argument is an operand. */
    for (; optind < sub_argc; optind++)
        if (take_operand(operands, max, &taken, sub_argv[optind], help) != 0)
            return -1;
    return 0;
}
