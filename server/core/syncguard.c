#include "syncguard.h"

fq_sync_verdict fq_sync_judge(fq_sync_mark *mark, int64_t since_ms, int64_t sent_at_ms,
                              uint64_t message_id)
{
    if (mark->known && message_id == mark->message_id)
        return FQ_SYNC_RESEND;
    if (mark->known && (sent_at_ms < mark->sent_at_ms ||
                        (sent_at_ms == mark->sent_at_ms && message_id < mark->message_id)))
        return FQ_SYNC_REPLAYED;
    if (!mark->known && sent_at_ms < since_ms)
        return FQ_SYNC_RESEND;
    mark->sent_at_ms = sent_at_ms;
    mark->message_id = message_id;
    mark->known = 1;
    return FQ_SYNC_NEW;
}
