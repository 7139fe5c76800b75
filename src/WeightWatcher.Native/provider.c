/*
 * Math.NET Numerics' OpenBLAS provider ABI (MathNet.Numerics.Providers.OpenBLAS 5.0.0), the subset this
 * project calls: the capability handshake and control functions, dot product, matrix multiply and the
 * full SVD factorisation, in single and double precision. Matrices are column-major, as MathNet stores
 * them; LAPACK info codes are returned unchanged.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "exports.h"

/* The capability handshake MathNet performs when loading the provider. */
WW_EXPORT int query_capability(const int capability)
{
    switch (capability)
    {
    case 0: return 0;   /* sanity checks the loader performs: 0 -> 0 ... */
    case 1: return -1;  /* ... and 1 -> -1 */
#if defined(__x86_64__)
    case 9: return 1;   /* platform x64 */
#endif
    case 64: return WW_PROVIDER_REVISION; /* revision */
    case 128: return 1; /* linear algebra major version */
    default: return 0;
    }
}

/*
 * MathNet declares these as returning `string`: .NET copies the text and then frees the pointer with
 * CoTaskMemFree, which is free() on Unix. OpenBLAS's strings are static, so hand out heap copies (freeing
 * the static buffer aborts the process with "free(): invalid pointer"). Callers reading the pointer
 * themselves should free it.
 */
static char *heap_copy(const char *text)
{
    if (text == NULL)
    {
        return NULL;
    }
    const size_t length = strlen(text) + 1;
    char *copy = malloc(length);
    if (copy != NULL)
    {
        memcpy(copy, text, length);
    }
    return copy;
}

WW_EXPORT char *get_build_config(void)
{
    return heap_copy(openblas_get_config());
}

WW_EXPORT char *get_cpu_core(void)
{
    return heap_copy(openblas_get_corename());
}

WW_EXPORT int get_parallel_type(void)
{
    return openblas_get_parallel();
}

/*
 * Threads OpenBLAS uses for one call. set_max_threads is MathNet's name and the only setter: the analyzer
 * sets 1 and runs layers concurrently instead. OpenBLAS has one process-wide setting, so the getter below
 * reads back whatever either MathNet or the analyzer set.
 */
WW_EXPORT void set_max_threads(const int num_threads)
{
    openblas_set_num_threads(num_threads);
}

WW_EXPORT int ww_get_num_threads(void)
{
    return openblas_get_num_threads();
}

/* Both precisions from one body (precisions.h). */
#define WW_TEMPLATE "provider_impl.h"
#include "precisions.h"
