/*
 * One precision of Math.NET's provider ABI (see provider.c), instantiated in double and single precision
 * through precisions.h, so both precisions share one body.
 */

WW_EXPORT WW_T WW_TYPED(, _dot_product)(const int n, const WW_T x[], const WW_T y[])
{
    return WW_TYPED(cblas_, dot)(n, x, 1, y, 1);
}

/* c = alpha op(x) op(y) + beta c, with op given by CBLAS transpose codes (111 none, 112 transpose). */
WW_EXPORT void WW_TYPED(, _matrix_multiply)(const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                                            const int m, const int n, const int k, const WW_T alpha,
                                            const WW_T x[], const WW_T y[], const WW_T beta, WW_T c[])
{
    const int lda = transA == CblasNoTrans ? m : k;
    const int ldb = transB == CblasNoTrans ? k : n;
    WW_TYPED(cblas_, gemm)(CblasColMajor, transA, transB, m, n, k, alpha, x, lda, y, ldb, beta, c, m);
}

/*
 * Singular value decomposition a = u diag(s) v (v is V^T, n x n; u is m x m), via the divide-and-conquer
 * driver. a is destroyed. Without vectors only s is written (u and v are not touched).
 * compute_vectors is a C bool because MathNet marshals it as a one-byte bool ([MarshalAs(U1)]): only the
 * low byte of the register is defined by the calling convention. Leading dimensions are at least 1, as
 * LAPACK requires, so an empty matrix succeeds with nothing to compute.
 */
WW_EXPORT int WW_TYPED(, _svd_factor)(const bool compute_vectors, const int m, const int n, WW_T a[], WW_T s[],
                                      WW_T u[], WW_T v[])
{
    const int ldm = m > 1 ? m : 1;
    const int ldn = n > 1 ? n : 1;
    if (compute_vectors)
    {
        return WW_TYPED(LAPACKE_, gesdd)(LAPACK_COL_MAJOR, 'A', m, n, a, ldm, s, u, ldm, v, ldn);
    }
    return WW_TYPED(LAPACKE_, gesdd)(LAPACK_COL_MAJOR, 'N', m, n, a, ldm, s, NULL, 1, NULL, 1);
}
