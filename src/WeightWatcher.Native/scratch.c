/* Per-thread scratch memory: see scratch.h for why. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "scratch.h"

#define WW_HUGE_PAGE ((size_t)2 << 20)

typedef struct
{
    void *base;
    size_t size;
} kept_region;

static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static int kept_key_ok;

/* A 2 MiB-aligned anonymous mapping of `size` bytes (a multiple of 2 MiB) with huge pages requested. */
static void *map_region(const size_t size)
{
    /* Over-allocate by one huge page and trim, so the region starts on a huge-page boundary. */
    char *raw = mmap(NULL, size + WW_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
    {
        return NULL;
    }
    const uintptr_t start = ((uintptr_t)raw + WW_HUGE_PAGE - 1) & ~(uintptr_t)(WW_HUGE_PAGE - 1);
    const size_t head = start - (uintptr_t)raw;
    if (head > 0)
    {
        munmap(raw, head);
    }
    const size_t tail = WW_HUGE_PAGE - head;
    if (tail > 0)
    {
        munmap((char *)start + size, tail);
    }
    /* Advice only: without transparent huge pages the region still works, with 4 KiB pages. */
    madvise((void *)start, size, MADV_HUGEPAGE);
    return (void *)start;
}

static void free_kept(void *value)
{
    kept_region *kept = value;
    if (kept != NULL)
    {
        munmap(kept->base, kept->size);
        free(kept);
    }
}

static void create_key(void)
{
    kept_key_ok = pthread_key_create(&kept_key, free_kept) == 0;
}

static size_t round_to_huge(const size_t bytes)
{
    const size_t at_least = bytes > 0 ? bytes : 1;
    return (at_least + WW_HUGE_PAGE - 1) & ~(WW_HUGE_PAGE - 1);
}

ww_scratch ww_scratch_acquire(const size_t bytes)
{
    const ww_scratch none = {NULL, 0, 0};
    const size_t size = round_to_huge(bytes);
    if (size < bytes)
    {
        return none; /* overflow */
    }
    pthread_once(&kept_once, create_key);
    if (size > WW_SCRATCH_KEEP || !kept_key_ok)
    {
        void *base = map_region(size);
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
        void *base = map_region(size);
        if (base == NULL)
        {
            return none;
        }
        if (kept->base != NULL)
        {
            munmap(kept->base, kept->size);
        }
        kept->base = base;
        kept->size = size;
    }
    return (ww_scratch){kept->base, kept->size, 0};
}

void ww_scratch_release(ww_scratch *scratch)
{
    if (scratch->owned && scratch->base != NULL)
    {
        munmap(scratch->base, scratch->size);
    }
    scratch->base = NULL;
    scratch->size = 0;
}
