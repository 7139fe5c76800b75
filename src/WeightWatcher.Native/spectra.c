/*
 * Values-only spectral entry points of the ESD path. MathNet's own Svd allocates U (m x m) and V^T even
 * when only singular values are wanted; these never form vectors.
 *
 *  ww_?svd_values   singular values of a (m x n, column-major, destroyed), descending: ?gesdd, jobz 'N'.
 *  ww_?gram_eigvals eigenvalues (ascending) of the smaller Gram matrix (A^T A or A A^T) of a: tiled ?gemm
 *                   then ?syevd, jobz 'N'. About 4x fewer operations than gesdd on a wide matrix, but the
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

/* LAPACK requires leading dimensions >= 1, even for an empty matrix. */
static int leading(const int rows)
{
    return rows > 1 ? rows : 1;
}

WW_EXPORT int ww_dsvd_values(const int m, const int n, double a[], double s[])
{
    return LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', m, n, a, leading(m), s, NULL, 1, NULL, 1);
}

WW_EXPORT int ww_ssvd_values(const int m, const int n, float a[], float s[])
{
    return LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'N', m, n, a, leading(m), s, NULL, 1, NULL, 1);
}

/*
 * Upper triangle of the Gram matrix A^T A (k = n) or A A^T (k = m) of a column-major m x n matrix, by
 * ?gemm on 128-wide tiles of the upper triangle: OpenBLAS's ?syrk runs at about a third of its ?gemm
 * rate, and tiling keeps ?gemm's speed while doing little more than the symmetric half of the work.
 * Then its eigenvalues, ascending: ?syevd without vectors is ?sytrd + ?sterf; measured on this machine
 * type (n = 768, one thread) it beats the two-stage reduction (?syevd_2stage) by about a third.
 * One definition serves both precisions.
 */
#define WW_GRAM_TILE 128

#define WW_DEFINE_GRAM(NAME, T, GEMM, SYEVD)                                                               \
    static void NAME##_upper(const int m, const int n, const T a[], T g[], const int k)                    \
    {                                                                                                      \
        for (int j0 = 0; j0 < k; j0 += WW_GRAM_TILE)                                                       \
        {                                                                                                  \
            const int jb = k - j0 < WW_GRAM_TILE ? k - j0 : WW_GRAM_TILE;                                  \
            for (int i0 = 0; i0 <= j0; i0 += WW_GRAM_TILE)                                                 \
            {                                                                                              \
                const int ib = k - i0 < WW_GRAM_TILE ? k - i0 : WW_GRAM_TILE;                              \
                T *tile = g + i0 + (size_t)j0 * k;                                                         \
                if (m >= n) /* columns of A: (A^T A)[i, j] = a_i . a_j */                                  \
                {                                                                                          \
                    GEMM(CblasColMajor, CblasTrans, CblasNoTrans, ib, jb, m, 1,                            \
                         a + (size_t)i0 * m, m, a + (size_t)j0 * m, m, 0, tile, k);                        \
                }                                                                                          \
                else /* rows of A: (A A^T)[i, j] = row_i . row_j */                                        \
                {                                                                                          \
                    GEMM(CblasColMajor, CblasNoTrans, CblasTrans, ib, jb, n, 1, a + i0, m, a + j0, m,      \
                         0, tile, k);                                                                      \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
                                                                                                           \
    WW_EXPORT int NAME##_eigvals(const int m, const int n, const T a[], T w[])                             \
    {                                                                                                      \
        const int k = m < n ? m : n;                                                                       \
        if (k <= 0)                                                                                        \
        {                                                                                                  \
            /* empty: nothing to compute; a negative size is a bad argument */                             \
            return k < 0 ? -(m < 0 ? 1 : 2) : 0;                                                           \
        }                                                                                                  \
        T *g = malloc((size_t)k * (size_t)k * sizeof(T));                                                  \
        if (g == NULL)                                                                                     \
        {                                                                                                  \
            return WW_ERR_NOMEM;                                                                           \
        }                                                                                                  \
        NAME##_upper(m, n, a, g, k);                                                                       \
        const int info = SYEVD(LAPACK_COL_MAJOR, 'N', 'U', k, g, k, w);                                    \
        free(g);                                                                                           \
        return info;                                                                                       \
    }

WW_DEFINE_GRAM(ww_dgram, double, cblas_dgemm, LAPACKE_dsyevd)
WW_DEFINE_GRAM(ww_sgram, float, cblas_sgemm, LAPACKE_ssyevd)

/* Threads OpenBLAS uses for one call; the analyzer sets 1 and runs layers concurrently instead. */
WW_EXPORT int ww_get_num_threads(void)
{
    return openblas_get_num_threads();
}

WW_EXPORT void ww_set_num_threads(const int n)
{
    openblas_set_num_threads(n);
}
