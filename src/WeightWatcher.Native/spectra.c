/*
 * Values-only spectral entry points of the ESD path. MathNet's own Svd allocates U (m x m) and V^T even
 * when only singular values are wanted; these never form vectors.
 *
 *  ww_?svd_values   singular values of a (m x n, column-major, destroyed), descending: ?gesdd, jobz 'N'.
 *  ww_?gram_eigvals eigenvalues (ascending) of the smaller Gram matrix (A^T A or A A^T) of a: ?syrk then
 *                   ?syevd, jobz 'N'. About 4x fewer operations than gesdd on a wide matrix, but the
 *                   eigenvalues carry an absolute error near eps * lambda_max, so the caller must check
 *                   the conditioning and fall back to ?svd_values when small eigenvalues matter.
 */
#include <stdlib.h>
#include <cblas.h>
#include <lapacke.h>
#include "exports.h"

WW_EXPORT int ww_revision(void)
{
    return WW_PROVIDER_REVISION;
}

WW_EXPORT int ww_dsvd_values(const int m, const int n, double a[], double s[])
{
    return LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', m, n, a, m, s, NULL, 1, NULL, 1);
}

WW_EXPORT int ww_ssvd_values(const int m, const int n, float a[], float s[])
{
    return LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'N', m, n, a, m, s, NULL, 1, NULL, 1);
}

WW_EXPORT int ww_dgram_eigvals(const int m, const int n, const double a[], double w[])
{
    const int k = m < n ? m : n;
    double *g = malloc((size_t)k * (size_t)k * sizeof(double));
    if (g == NULL)
    {
        return WW_ERR_NOMEM;
    }
    if (m >= n)
    {
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, m, 1.0, a, m, 0.0, g, n);   /* A^T A */
    }
    else
    {
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, m, n, 1.0, a, m, 0.0, g, m); /* A A^T */
    }
    const int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', k, g, k, w);
    free(g);
    return info;
}

WW_EXPORT int ww_sgram_eigvals(const int m, const int n, const float a[], float w[])
{
    const int k = m < n ? m : n;
    float *g = malloc((size_t)k * (size_t)k * sizeof(float));
    if (g == NULL)
    {
        return WW_ERR_NOMEM;
    }
    if (m >= n)
    {
        cblas_ssyrk(CblasColMajor, CblasUpper, CblasTrans, n, m, 1.0f, a, m, 0.0f, g, n);
    }
    else
    {
        cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, m, n, 1.0f, a, m, 0.0f, g, m);
    }
    const int info = LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'N', 'U', k, g, k, w);
    free(g);
    return info;
}

/* Threads OpenBLAS uses for one call; the analyzer sets 1 and runs layers concurrently instead. */
WW_EXPORT int ww_get_num_threads(void)
{
    return openblas_get_num_threads();
}

WW_EXPORT void ww_set_num_threads(const int n)
{
    openblas_set_num_threads(n);
}
