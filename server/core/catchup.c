#include "catchup.h"

fq_catch_up_step fq_catch_up_step_for(int held, int open, int fresh_directory)
{
    fq_catch_up_step s = {0};
    s.drop = held != 0;
    s.release_worker = held && !fresh_directory;
    s.take_in = open != 0;
    s.count_worker = open && !fresh_directory;
    s.outcome = open ? (held ? FQ_CATCH_UP_REPLACED : FQ_CATCH_UP_ADDED)
                     : (held ? FQ_CATCH_UP_REMOVED : FQ_CATCH_UP_NONE);
    return s;
}
