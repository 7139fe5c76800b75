/*
 * Per-thread scratch memory for the spectral entry points.
 *
 * Why: every layer needs a work copy (SVD) or a Gram matrix plus LAPACK workspace, 4.7 MB for a 768-wide
 * layer. Allocated per call, these come back as fresh zero-filled pages each time (a page fault per
 * 4 KiB on first touch); made on the managed side, they would churn the large-object heap and bring
 * gen-2 collections that pause every thread. Each thread now keeps one grow-only region; requests above WW_SCRATCH_KEEP get a region
 * of their own, released after the call, so an occasional huge layer does not pin its memory for the
 * life of the thread.
 *
 * A call lays out its buffers with a bump allocator: it lists the byte sizes of its regions, acquires
 * ww_scratch_total() of them, then carves the regions in the same order. Each region starts on a 64-byte
 * boundary (cache line, and the widest SIMD load OpenBLAS issues).
 */
#ifndef WW_SCRATCH_H
#define WW_SCRATCH_H

#include <stddef.h>

/* Largest region a thread keeps between calls. */
#define WW_SCRATCH_KEEP ((size_t)256 << 20)

typedef struct
{
    void *base;
    size_t size;
    size_t used; /* bytes already carved */
    int owned;   /* 1: released by ww_scratch_release; 0: the thread's kept region */
} ww_scratch;

/* Bytes needed for regions of the given sizes, each aligned; SIZE_MAX when that overflows. */
size_t ww_scratch_total(const size_t sizes[], size_t count);

/* At least `bytes` bytes, 64-byte aligned; base is NULL when memory is exhausted. */
ww_scratch ww_scratch_acquire(size_t bytes);

/* The next 64-byte-aligned region of `bytes` bytes; NULL when it does not fit in what was acquired. */
void *ww_scratch_carve(ww_scratch *scratch, size_t bytes);

/* Ends the use of a region from ww_scratch_acquire. */
void ww_scratch_release(ww_scratch *scratch);

#endif
