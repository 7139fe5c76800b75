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

WW_EXPORT void set_max_threads(const int num_threads)
{
    openblas_set_num_threads(num_threads);
}

WW_EXPORT double d_dot_product(const int n, const double x[], const double y[])
{
    return cblas_ddot(n, x, 1, y, 1);
}

WW_EXPORT float s_dot_product(const int n, const float x[], const float y[])
{
    return cblas_sdot(n, x, 1, y, 1);
}

/* c = alpha op(x) op(y) + beta c, with op given by CBLAS transpose codes (111 none, 112 transpose). */
WW_EXPORT void d_matrix_multiply(const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                                 const int m, const int n, const int k, const double alpha,
                                 const double x[], const double y[], const double beta, double c[])
{
    const int lda = transA == CblasNoTrans ? m : k;
    const int ldb = transB == CblasNoTrans ? k : n;
    cblas_dgemm(CblasColMajor, transA, transB, m, n, k, alpha, x, lda, y, ldb, beta, c, m);
}

WW_EXPORT void s_matrix_multiply(const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                                 const int m, const int n, const int k, const float alpha,
                                 const float x[], const float y[], const float beta, float c[])
{
    const int lda = transA == CblasNoTrans ? m : k;
    const int ldb = transB == CblasNoTrans ? k : n;
    cblas_sgemm(CblasColMajor, transA, transB, m, n, k, alpha, x, lda, y, ldb, beta, c, m);
}

/*
 * Singular value decomposition a = u diag(s) v (v is V^T, n x n; u is m x m), via the divide-and-conquer
 * driver. a is destroyed. Without vectors only s is written (u and v are not touched).
 * compute_vectors is a C bool because MathNet marshals it as a one-byte bool ([MarshalAs(U1)]): only the
 * low byte of the register is defined by the calling convention. Leading dimensions are at least 1, as
 * LAPACK requires, so an empty matrix succeeds with nothing to compute.
 */
WW_EXPORT int d_svd_factor(const bool compute_vectors, const int m, const int n, double a[], double s[], double u[], double v[])
{
    const int ldm = m > 1 ? m : 1;
    const int ldn = n > 1 ? n : 1;
    if (compute_vectors)
    {
        return LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'A', m, n, a, ldm, s, u, ldm, v, ldn);
    }
    return LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', m, n, a, ldm, s, NULL, 1, NULL, 1);
}

WW_EXPORT int s_svd_factor(const bool compute_vectors, const int m, const int n, float a[], float s[], float u[], float v[])
{
    const int ldm = m > 1 ? m : 1;
    const int ldn = n > 1 ? n : 1;
    if (compute_vectors)
    {
        return LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'A', m, n, a, ldm, s, u, ldm, v, ldn);
    }
    return LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'N', m, n, a, ldm, s, NULL, 1, NULL, 1);
}
