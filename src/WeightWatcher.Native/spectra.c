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
 * Every entry point returns WW_OK, a LAPACK info code, WW_ERR_NOMEM or WW_ERR_NONFINITE (exports.h). LAPACK is called
 * through its Fortran interface with workspace from the thread's scratch (scratch.h): LAPACKE's
 * wrappers would allocate fresh workspace and scan the input for NaN on every call; the finiteness check
 * here is folded into the copy (SVD) or done on the Gram diagonal, whose entries are the squared norms.
 */
#include <math.h>
#include <stddef.h>
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

/*
 * Upper triangle of the Gram matrix A^T A (k = n) or A A^T (k = m) of a column-major m x n matrix, by
 * recursive halving: G11 and G22 recurse, the off-diagonal block G12 is one ?gemm, and diagonal blocks of
 * at most WW_GRAM_BASE are one ?gemm each. OpenBLAS's ?syrk runs well below its ?gemm rate; the few large
 * ?gemm calls keep ?gemm's speed while doing only ~6% more than the symmetric half of the work, and pack
 * each panel fewer times than column blocks do. Then its eigenvalues, ascending: ?syevd without vectors
 * is ?sytrd + ?sterf, which at these sizes with one thread per call beats the two-stage
 * reduction (?syevd_2stage, or ?sytrd_sy2sb + ?sbtrd with any band width 4-64) by about a third.
 */
#define WW_GRAM_BASE 48

/* Both precisions from one body (precisions.h). */
#define WW_TEMPLATE "spectra_impl.h"
#include "precisions.h"
