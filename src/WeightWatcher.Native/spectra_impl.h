/*
 * One precision of the values-only spectral entry points (the contract is in spectra.c), instantiated in
 * double and single precision through precisions.h. The input is double in both; WW_CONVERTS says
 * whether WW_T differs, so the Gram route needs a rounded copy first.
 */
#define WW_CONVERTS (sizeof(WW_T) != sizeof(double))

/* Copies (and rounds to WW_T) the count elements of a; 0 when one of them is not finite. */
static int WW_TYPED(ww_, copy)(const size_t count, const double a[], WW_T out[])
{
    int finite = 1;
    for (size_t i = 0; i < count; i++)
    {
        out[i] = (WW_T)a[i];
        finite &= isfinite(out[i]) != 0;
    }
    return finite;
}

/* Hands the k values LAPACK computed back to the caller in double, in LAPACK's order. */
static void WW_TYPED(ww_, widen)(const int k, const WW_T values[], double out[])
{
    for (int i = 0; i < k; i++)
    {
        out[i] = values[i];
    }
}

/*
 * Singular values by ?gesdd (jobz 'N') on a copy of a in scratch memory, workspace included. For single
 * precision the copy rounds to float32 and the values are widened back.
 */
WW_EXPORT int WW_TYPED(ww_, svd_values)(const int m, const int n, const double a[], double s[])
{
    int k, code;
    if (nothing_to_do(m, n, &k, &code))
    {
        return code;
    }
    const int lda = leading(m), one = 1, query = -1;
    int info = 0;
    WW_T size_query = 0, dummy = 0;
    int idummy = 0;
    WW_TYPED(LAPACK_, gesdd)("N", &m, &n, &dummy, &lda, &dummy, &dummy, &one, &dummy, &one, &size_query, &query,
                             &idummy, &info);
    if (info != 0)
    {
        return info;
    }
    const int lwork = (int)size_query + 1;
    const size_t elements = (size_t)m * (size_t)n;
    /* The copy, the values, LAPACK's workspace and its 8k integers. */
    const size_t sizes[] = {elements * sizeof(WW_T), (size_t)k * sizeof(WW_T), (size_t)lwork * sizeof(WW_T),
                            8 * (size_t)k * sizeof(int)};
    ww_scratch scratch = ww_scratch_acquire(ww_scratch_total(sizes, 4));
    WW_T *copy = ww_scratch_carve(&scratch, sizes[0]);
    WW_T *values = ww_scratch_carve(&scratch, sizes[1]);
    WW_T *work = ww_scratch_carve(&scratch, sizes[2]);
    int *iwork = ww_scratch_carve(&scratch, sizes[3]);
    if (iwork == NULL)
    {
        info = WW_ERR_NOMEM;
    }
    else if (!WW_TYPED(ww_, copy)(elements, a, copy))
    {
        info = WW_ERR_NONFINITE;
    }
    else
    {
        WW_TYPED(LAPACK_, gesdd)("N", &m, &n, copy, &lda, values, &dummy, &one, &dummy, &one, work, &lwork, iwork,
                                 &info);
    }
    if (info == 0)
    {
        WW_TYPED(ww_, widen)(k, values, s);
    }
    ww_scratch_release(&scratch);
    return info;
}

/* G[o1 .. o1+p, o2 .. o2+q] = the dot products of vectors o1.. with vectors o2.. (columns or rows). */
static void WW_TYPED(ww_, gram_block)(const int m, const int n, const WW_T a[], WW_T g[], const int k,
                                      const int o1, const int p, const int o2, const int q)
{
    if (m >= n) /* columns of A: (A^T A)[i, j] = a_i . a_j */
    {
        WW_TYPED(cblas_, gemm)(CblasColMajor, CblasTrans, CblasNoTrans, p, q, m, 1, a + (size_t)o1 * m, m,
                               a + (size_t)o2 * m, m, 0, g + o1 + (size_t)o2 * k, k);
    }
    else /* rows of A: (A A^T)[i, j] = row_i . row_j */
    {
        WW_TYPED(cblas_, gemm)(CblasColMajor, CblasNoTrans, CblasTrans, p, q, n, 1, a + o1, m, a + o2, m, 0,
                               g + o1 + (size_t)o2 * k, k);
    }
}

/* The upper triangle of rows/columns o .. o+size of the Gram matrix, by recursive halving (spectra.c). */
static void WW_TYPED(ww_, gram_upper)(const int m, const int n, const WW_T a[], WW_T g[], const int k, const int o,
                                      const int size)
{
    if (size <= WW_GRAM_BASE)
    {
        WW_TYPED(ww_, gram_block)(m, n, a, g, k, o, size, o, size);
        return;
    }
    const int half = size / 2;
    WW_TYPED(ww_, gram_upper)(m, n, a, g, k, o, half);
    WW_TYPED(ww_, gram_block)(m, n, a, g, k, o, half, o + half, size - half);
    WW_TYPED(ww_, gram_upper)(m, n, a, g, k, o + half, size - half);
}

WW_EXPORT int WW_TYPED(ww_, gram_eigvals)(const int m, const int n, const double a[], double w[])
{
    int k, code;
    if (nothing_to_do(m, n, &k, &code))
    {
        return code;
    }
    /* The optimal workspace, not the minimum 2k + 1: with less, ?sytrd falls back to its unblocked
       (BLAS-2 only) code, which is memory-bound. */
    const int query = -1;
    WW_T size_query = 0, dummy = 0;
    int isize_query = 0, info = 0;
    WW_TYPED(LAPACK_, syevd)("N", "U", &k, &dummy, &k, &dummy, &size_query, &query, &isize_query, &query, &info);
    if (info != 0)
    {
        return info;
    }
    const int lwork = (int)size_query + 1, liwork = isize_query > 1 ? isize_query : 1;
    const size_t elements = WW_CONVERTS ? (size_t)m * (size_t)n : 0;
    /* The rounded copy (single precision only), G, the eigenvalues, LAPACK's workspaces. */
    const size_t sizes[] = {elements * sizeof(WW_T), (size_t)k * (size_t)k * sizeof(WW_T), (size_t)k * sizeof(WW_T),
                            (size_t)lwork * sizeof(WW_T), (size_t)liwork * sizeof(int)};
    ww_scratch scratch = ww_scratch_acquire(ww_scratch_total(sizes, 5));
    WW_T *copy = ww_scratch_carve(&scratch, sizes[0]);
    WW_T *g = ww_scratch_carve(&scratch, sizes[1]);
    WW_T *values = ww_scratch_carve(&scratch, sizes[2]);
    WW_T *work = ww_scratch_carve(&scratch, sizes[3]);
    int *iwork = ww_scratch_carve(&scratch, sizes[4]);
    const WW_T *input = WW_CONVERTS ? copy : (const WW_T *)(const void *)a;
    if (iwork == NULL)
    {
        info = WW_ERR_NOMEM;
    }
    else if (WW_CONVERTS && !WW_TYPED(ww_, copy)(elements, a, copy))
    {
        info = WW_ERR_NONFINITE;
    }
    else
    {
        WW_TYPED(ww_, gram_upper)(m, n, input, g, k, 0, k);
        /* The diagonal holds squared row or column norms: not finite iff an input was not (or the squares
           overflowed, which the SVD route handles). */
        for (int i = 0; i < k; i++)
        {
            if (!isfinite(g[i + (size_t)i * k]))
            {
                info = WW_ERR_NONFINITE;
                break;
            }
        }
    }
    if (info == 0)
    {
        WW_TYPED(LAPACK_, syevd)("N", "U", &k, g, &k, values, work, &lwork, iwork, &liwork, &info);
    }
    if (info == 0)
    {
        WW_TYPED(ww_, widen)(k, values, w);
    }
    ww_scratch_release(&scratch);
    return info;
}

#undef WW_CONVERTS
