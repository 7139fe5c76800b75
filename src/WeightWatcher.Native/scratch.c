/* Per-thread scratch memory: see scratch.h for why. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "scratch.h"

/* Region alignment; sizes are rounded up to it so consecutive regions stay aligned. */
#define WW_SCRATCH_ALIGN ((size_t)64)

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

/* bytes rounded up to a multiple of WW_SCRATCH_ALIGN; SIZE_MAX when that overflows. */
static size_t aligned(const size_t bytes)
{
    return bytes > SIZE_MAX - (WW_SCRATCH_ALIGN - 1) ? SIZE_MAX : (bytes + WW_SCRATCH_ALIGN - 1) & ~(WW_SCRATCH_ALIGN - 1);
}

size_t ww_scratch_total(const size_t sizes[], const size_t count)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
    {
        const size_t size = aligned(sizes[i]);
        if (size > SIZE_MAX - total)
        {
            return SIZE_MAX;
        }
        total += size;
    }
    return total;
}

void *ww_scratch_carve(ww_scratch *scratch, const size_t bytes)
{
    const size_t size = aligned(bytes);
    if (scratch->base == NULL || size > scratch->size - scratch->used)
    {
        return NULL;
    }
    void *region = (char *)scratch->base + scratch->used;
    scratch->used += size;
    return region;
}

ww_scratch ww_scratch_acquire(const size_t bytes)
{
    const ww_scratch none = {NULL, 0, 0, 0};
    const size_t size = ((bytes > 0 ? bytes : 1) + WW_SCRATCH_STEP - 1) & ~(WW_SCRATCH_STEP - 1);
    if (size < bytes)
    {
        return none; /* overflow */
    }
    pthread_once(&kept_once, create_key);
    if (size > WW_SCRATCH_KEEP || !kept_key_ok)
    {
        void *base = aligned_alloc(WW_SCRATCH_ALIGN, size);
        return base == NULL ? none : (ww_scratch){base, size, 0, 1};
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
        void *base = aligned_alloc(WW_SCRATCH_ALIGN, size);
        if (base == NULL)
        {
            return none;
        }
        free(kept->base);
        kept->base = base;
        kept->size = size;
    }
    return (ww_scratch){kept->base, kept->size, 0, 0};
}

void ww_scratch_release(ww_scratch *scratch)
{
    if (scratch->owned)
    {
        free(scratch->base);
    }
    scratch->base = NULL;
    scratch->size = 0;
    scratch->used = 0;
}
