/* admin_options: a fengqiao-admin subcommand's options, read with
 * getopt_long like every other program of the project. */
#ifndef FQ_ADMIN_OPTIONS_H
#define FQ_ADMIN_OPTIONS_H

#include <stddef.h>

/* "--name value" options after a subcommand; with `flag` set instead of
 * `value`, "--name" alone (it sets *flag to 1). */
typedef struct opt_slot {
    const char *name;
    const char **value;
    int *flag;
} opt_slot;

/* Parses the options from argv[first] on (argv[first - 1], the command,
 * names them in getopt's messages): "--name value" or "--name=value" into
 * the slots, at most one operand into *positional (none allowed when it is
 * NULL; after "--" everything is an operand). 0 to go on, 1 when --help or
 * -h was printed (to stdout), -1 on a usage error (printed to stderr with
 * `help`). */
int admin_parse_options(int argc, char **argv, int first, opt_slot *slots, size_t nslots,
                        const char **positional, const char *help);
/* The same with up to `max` operands, in order, into operands[0 ..] (each
 * NULL before: one already set is skipped, not overwritten). */
int admin_parse_operands(int argc, char **argv, int first, opt_slot *slots, size_t nslots,
                         const char **operands, size_t max, const char *help);

#endif
