/*
 * Per-thread scratch memory for the spectral entry points.
 *
 * Why: every layer needs a work copy (SVD) or a Gram matrix plus LAPACK workspace, 4.7 MB for a 768-wide
 * layer. Allocated per call, these came back as fresh zero-filled pages each time (a page fault per
 * 4 KiB on first touch), and the managed side used to clone the matrix for gesdd and copy it to float32
 * for single precision, which churned the large-object heap and brought gen-2 collections that pause
 * every thread. Each thread now keeps one grow-only region; requests above WW_SCRATCH_KEEP get a region
 * of their own, released after the call, so an occasional huge layer does not pin its memory for the
 * life of the thread.
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
    int owned; /* 1: released by ww_scratch_release; 0: the thread's kept region */
} ww_scratch;

/* At least `bytes` bytes, 64-byte aligned; base is NULL when memory is exhausted. */
ww_scratch ww_scratch_acquire(size_t bytes);

/* Ends the use of a region from ww_scratch_acquire. */
void ww_scratch_release(ww_scratch *scratch);

/* Bytes rounded up to a multiple of 64, so consecutive carve-outs stay aligned. */
static inline size_t ww_aligned(const size_t bytes)
{
    return (bytes + 63) & ~(size_t)63;
}

#endif
