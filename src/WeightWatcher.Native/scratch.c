/* Per-thread scratch memory: see scratch.h for why. */
#include <pthread.h>
#include <stdlib.h>
#include "scratch.h"

/* Regions grow in whole MiB, so a run of slightly larger layers does not reallocate every time. */
#define WW_SCRATCH_STEP ((size_t)1 << 20)

typedef struct
{
    void *base;
    size_t size;
} kept_region;

static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static int kept_key_ok;

static void free_kept(void *value)
{
    kept_region *kept = value;
    if (kept != NULL)
    {
        free(kept->base);
        free(kept);
    }
}

static void create_key(void)
{
    kept_key_ok = pthread_key_create(&kept_key, free_kept) == 0;
}

ww_scratch ww_scratch_acquire(const size_t bytes)
{
    const ww_scratch none = {NULL, 0, 0};
    const size_t size = ((bytes > 0 ? bytes : 1) + WW_SCRATCH_STEP - 1) & ~(WW_SCRATCH_STEP - 1);
    if (size < bytes)
    {
        return none; /* overflow */
    }
    pthread_once(&kept_once, create_key);
    if (size > WW_SCRATCH_KEEP || !kept_key_ok)
    {
        void *base = aligned_alloc(64, size);
        return base == NULL ? none : (ww_scratch){base, size, 1};
    }
    kept_region *kept = pthread_getspecific(kept_key);
    if (kept == NULL)
    {
        kept = calloc(1, sizeof *kept);
        if (kept == NULL || pthread_setspecific(kept_key, kept) != 0)
        {
            free(kept);
            return none;
        }
    }
    if (kept->size < size)
    {
        void *base = aligned_alloc(64, size);
        if (base == NULL)
        {
            return none;
        }
        free(kept->base);
        kept->base = base;
        kept->size = size;
    }
    return (ww_scratch){kept->base, kept->size, 0};
}

void ww_scratch_release(ww_scratch *scratch)
{
    if (scratch->owned)
    {
        free(scratch->base);
    }
    scratch->base = NULL;
    scratch->size = 0;
}
