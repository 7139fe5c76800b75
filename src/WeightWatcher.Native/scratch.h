/*
 * Per-thread scratch memory for the spectral entry points.
 *
 * Why: on the virtual machines this runs on, a first touch of a fresh 4 KiB page costs about 15 us (a
 * page fault trapped through the hypervisor). A Gram matrix or an SVD work copy of a 768 x 768 layer is
 * 1152 pages, so allocating them per call spent more time in page faults than LAPACK spends in some of
 * its kernels. Each thread keeps one grow-only region (transparent huge pages requested, so even its first
 * touch faults once per 2 MiB); requests above WW_SCRATCH_KEEP get a region of their own, released after
 * the call, so an occasional huge layer does not pin its memory for the life of the thread.
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
