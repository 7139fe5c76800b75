/*
 * Values-only spectral entry points of the ESD path. MathNet's own Svd allocates U (m x m) and V^T even
 * when only singular values are wanted; these never form vectors. The input matrix a (m x n,
 * column-major, double) is never modified; results are double in both precisions.
 *
 *  ww_dsvd_values   singular values of a, descending: dgesdd, jobz 'N', on a scratch copy.
 *  ww_ssvd_values   the same in single precision: a rounded to float32, sgesdd.
 *  ww_dgram_eigvals eigenvalues (ascending) of the smaller Gram matrix (A^T A or A A^T) of a: blocked
 *                   dgemm then dsyevd, jobz 'N'. About 4x fewer operations than gesdd on a wide matrix,
 *                   but the eigenvalues carry an absolute error near eps * lambda_max, so the caller must
 *                   check the conditioning and fall back to ww_dsvd_values when small eigenvalues matter.
 *  ww_sgram_eigvals the same in single precision.
 *
 * Every entry point returns 0, a LAPACK info code, WW_ERR_NOMEM or WW_ERR_NONFINITE. LAPACK is called
 * through its Fortran interface with workspace from the thread's scratch (scratch.h): LAPACKE's
 * wrappers would allocate fresh workspace and scan the input for NaN on every call; the finiteness check
 * here is folded into the copy (SVD) or done on the Gram diagonal, whose entries are the squared norms.
 */
#include <math.h>
#include <stdlib.h>
#include <cblas.h>
#include <lapack.h>
#include "exports.h"
#include "scratch.h"

WW_EXPORT int ww_revision(void)
{
    return WW_PROVIDER_REVISION;
}

/* LAPACK requires leading dimensions >= 1, even for an empty matrix. */
static int leading(const int rows)
{
    return rows > 1 ? rows : 1;
}

/*
 * k = min(m, n). True when there is nothing to compute: an empty matrix (*code 0) or a bad size (*code in
 * LAPACK's convention, -(1-based index of the offending argument)).
 */
static int nothing_to_do(const int m, const int n, int *k, int *code)
{
    *k = m < n ? m : n;
    *code = m < 0 ? -1 : n < 0 ? -2 : 0;
    return *code != 0 || *k == 0;
}

/* Copies (and rounds to T) the m*n elements of a; 0 when one of them is not finite. */
#define WW_DEFINE_COPY(NAME, T)                                                                             \
    static int NAME(const size_t count, const double a[], T out[])                                         \
    {                                                                                                      \
        int finite = 1;                                                                                    \
        for (size_t i = 0; i < count; i++)                                                                 \
        {                                                                                                  \
            out[i] = (T)a[i];                                                                              \
            finite &= isfinite(out[i]) != 0;                                                               \
        }                                                                                                  \
        return finite;                                                                                     \
    }

WW_DEFINE_COPY(copy_double, double)
WW_DEFINE_COPY(copy_float, float)

/*
 * Singular values by ?gesdd (jobz 'N') on a copy of a in scratch memory, workspace included. For single
 * precision the copy rounds to float32 and the values are widened back.
 */
#define WW_DEFINE_SVD(NAME, T, COPY, GESDD)                                                                \
    WW_EXPORT int NAME(const int m, const int n, const double a[], double s[])                             \
    {                                                                                                      \
        int k, code;                                                                                       \
        if (nothing_to_do(m, n, &k, &code))                                                                \
        {                                                                                                  \
            return code;                                                                                   \
        }                                                                                                  \
        const int lda = leading(m), one = 1, query = -1;                                                   \
        int info = 0;                                                                                      \
        T size_query = 0, dummy = 0;                                                                       \
        int idummy = 0;                                                                                    \
        GESDD("N", &m, &n, &dummy, &lda, &dummy, &dummy, &one, &dummy, &one, &size_query, &query, &idummy, \
              &info);                                                                                      \
        if (info != 0)                                                                                     \
        {                                                                                                  \
            return info;                                                                                   \
        }                                                                                                  \
        const int lwork = (int)size_query + 1;                                                             \
        const size_t elements = (size_t)m * (size_t)n;                                                     \
        const size_t copy_bytes = ww_aligned(elements * sizeof(T));                                        \
        const size_t s_bytes = ww_aligned((size_t)k * sizeof(T));                                          \
        const size_t work_bytes = ww_aligned((size_t)lwork * sizeof(T));                                   \
        ww_scratch scratch = ww_scratch_acquire(copy_bytes + s_bytes + work_bytes + 8 * (size_t)k * sizeof(int)); \
        if (scratch.base == NULL)                                                                          \
        {                                                                                                  \
            return WW_ERR_NOMEM;                                                                           \
        }                                                                                                  \
        char *at = scratch.base;                                                                           \
        T *copy = (T *)at;                                                                                 \
        T *values = (T *)(at + copy_bytes);                                                                \
        T *work = (T *)(at + copy_bytes + s_bytes);                                                        \
        int *iwork = (int *)(at + copy_bytes + s_bytes + work_bytes);                                      \
        if (!COPY(elements, a, copy))                                                                      \
        {                                                                                                  \
            info = WW_ERR_NONFINITE;                                                                       \
        }                                                                                                  \
        else                                                                                               \
        {                                                                                                  \
            GESDD("N", &m, &n, copy, &lda, values, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info); \
            for (int i = 0; info == 0 && i < k; i++)                                                       \
            {                                                                                              \
                s[i] = values[i];                                                                          \
            }                                                                                              \
        }                                                                                                  \
        ww_scratch_release(&scratch);                                                                      \
        return info;                                                                                       \
    }

WW_DEFINE_SVD(ww_dsvd_values, double, copy_double, LAPACK_dgesdd)
WW_DEFINE_SVD(ww_ssvd_values, float, copy_float, LAPACK_sgesdd)

/*
 * Upper triangle of the Gram matrix A^T A (k = n) or A A^T (k = m) of a column-major m x n matrix, by
 * recursive halving: G11 and G22 recurse, the off-diagonal block G12 is one ?gemm, and diagonal blocks of
 * at most WW_GRAM_BASE are one ?gemm each. OpenBLAS's ?syrk runs well below its ?gemm rate; the few large
 * ?gemm calls keep ?gemm's speed while doing only ~6% more than the symmetric half of the work, and pack
 * each panel fewer times than column blocks do. Measured on this machine type (m = 3072, k = 768, one
 * thread, Haswell kernels, same run): 0.043 s, against 0.048 s for 128-wide column blocks and 0.041-0.045 s
 * for half of the full product (?syrk: 0.045-0.063 s in other runs). Then its eigenvalues, ascending: ?syevd
 * without vectors is ?sytrd + ?sterf, which on this machine type (k = 768, one thread) beats the two-stage
 * reduction (?syevd_2stage, or ?sytrd_sy2sb + ?sbtrd with any band width 4-64) by about a third.
 */
#define WW_GRAM_BASE 48

#define WW_DEFINE_GRAM(NAME, T, GEMM, SYEVD, CONVERT)                                                      \
    /* G[o1 .. o1+p, o2 .. o2+q] = the dot products of vectors o1.. with vectors o2.. (columns or rows). */ \
    static void NAME##_block(const int m, const int n, const T a[], T g[], const int k, const int o1,      \
                             const int p, const int o2, const int q)                                       \
    {                                                                                                      \
        if (m >= n) /* columns of A: (A^T A)[i, j] = a_i . a_j */                                          \
        {                                                                                                  \
            GEMM(CblasColMajor, CblasTrans, CblasNoTrans, p, q, m, 1, a + (size_t)o1 * m, m,               \
                 a + (size_t)o2 * m, m, 0, g + o1 + (size_t)o2 * k, k);                                    \
        }                                                                                                  \
        else /* rows of A: (A A^T)[i, j] = row_i . row_j */                                                \
        {                                                                                                  \
            GEMM(CblasColMajor, CblasNoTrans, CblasTrans, p, q, n, 1, a + o1, m, a + o2, m, 0,             \
                 g + o1 + (size_t)o2 * k, k);                                                              \
        }                                                                                                  \
    }                                                                                                      \
                                                                                                           \
    static void NAME##_upper(const int m, const int n, const T a[], T g[], const int k, const int o,      \
                             const int size)                                                               \
    {                                                                                                      \
        if (size <= WW_GRAM_BASE)                                                                          \
        {                                                                                                  \
            NAME##_block(m, n, a, g, k, o, size, o, size);                                                 \
            return;                                                                                        \
        }                                                                                                  \
        const int half = size / 2;                                                                         \
        NAME##_upper(m, n, a, g, k, o, half);                                                              \
        NAME##_block(m, n, a, g, k, o, half, o + half, size - half);                                       \
        NAME##_upper(m, n, a, g, k, o + half, size - half);                                                \
    }                                                                                                      \
                                                                                                           \
    WW_EXPORT int NAME##_eigvals(const int m, const int n, const double a[], double w[])                   \
    {                                                                                                      \
        int k, code;                                                                                       \
        if (nothing_to_do(m, n, &k, &code))                                                                \
        {                                                                                                  \
            return code;                                                                                   \
        }                                                                                                  \
        /* The optimal workspace, not the minimum 2k + 1: with less, ?sytrd runs its unblocked          \
           (BLAS-2 only) code: 0.047 s against 0.032 s at k = 768. */                                         \
        const int query = -1;                                                                              \
        T size_query = 0, dummy = 0;                                                                       \
        int isize_query = 0, info = 0;                                                                     \
        SYEVD("N", "U", &k, &dummy, &k, &dummy, &size_query, &query, &isize_query, &query, &info);          \
        if (info != 0)                                                                                     \
        {                                                                                                  \
            return info;                                                                                   \
        }                                                                                                  \
        const int lwork = (int)size_query + 1, liwork = isize_query > 1 ? isize_query : 1;                 \
        const size_t elements = CONVERT ? (size_t)m * (size_t)n : 0;                                       \
        const size_t copy_bytes = ww_aligned(elements * sizeof(T));                                        \
        const size_t g_bytes = ww_aligned((size_t)k * (size_t)k * sizeof(T));                              \
        const size_t w_bytes = ww_aligned((size_t)k * sizeof(T));                                          \
        const size_t work_bytes = ww_aligned((size_t)lwork * sizeof(T));                                   \
        ww_scratch scratch = ww_scratch_acquire(copy_bytes + g_bytes + w_bytes + work_bytes + (size_t)liwork * sizeof(int)); \
        if (scratch.base == NULL)                                                                          \
        {                                                                                                  \
            return WW_ERR_NOMEM;                                                                           \
        }                                                                                                  \
        char *at = scratch.base;                                                                           \
        T *g = (T *)(at + copy_bytes);                                                                     \
        T *values = (T *)(at + copy_bytes + g_bytes);                                                      \
        T *work = (T *)(at + copy_bytes + g_bytes + w_bytes);                                              \
        int *iwork = (int *)(at + copy_bytes + g_bytes + w_bytes + work_bytes);                            \
        const T *input = CONVERT ? (const T *)at : (const T *)(const void *)a;                             \
        if (CONVERT && !copy_float(elements, a, (float *)at))                                              \
        {                                                                                                  \
            info = WW_ERR_NONFINITE;                                                                       \
        }                                                                                                  \
        else                                                                                               \
        {                                                                                                  \
            NAME##_upper(m, n, input, g, k, 0, k);                                                         \
            /* The diagonal holds squared row or column norms: not finite iff an input was not (or the  \
               squares overflowed, which the SVD route handles). */                                        \
            for (int i = 0; i < k; i++)                                                                    \
            {                                                                                              \
                if (!isfinite(g[i + (size_t)i * k]))                                                       \
                {                                                                                          \
                    info = WW_ERR_NONFINITE;                                                               \
                    break;                                                                                 \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        if (info == 0)                                                                                     \
        {                                                                                                  \
            SYEVD("N", "U", &k, g, &k, values, work, &lwork, iwork, &liwork, &info);                       \
            for (int i = 0; info == 0 && i < k; i++)                                                       \
            {                                                                                              \
                w[i] = values[i];                                                                          \
            }                                                                                              \
        }                                                                                                  \
        ww_scratch_release(&scratch);                                                                      \
        return info;                                                                                       \
    }

WW_DEFINE_GRAM(ww_dgram, double, cblas_dgemm, LAPACK_dsyevd, 0)
WW_DEFINE_GRAM(ww_sgram, float, cblas_sgemm, LAPACK_ssyevd, 1)

/* Threads OpenBLAS uses for one call; the analyzer sets 1 and runs layers concurrently instead. */
WW_EXPORT int ww_get_num_threads(void)
{
    return openblas_get_num_threads();
}

WW_EXPORT void ww_set_num_threads(const int n)
{
    openblas_set_num_threads(n);
}
